import os

from common import money


def lambda_handler(event, context):
    discount = float(os.environ["DISCOUNT"])
    price = event["total"] * (100 - discount) / 100
    return {**event, "price": price, "price_text": money(price, os.environ["CURRENCY"])}
