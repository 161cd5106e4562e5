import os

from common import money


def lambda_handler(event, context):
    minimum = float(os.environ["MINIMUM_TOTAL"])
    if event["total"] < minimum:
        raise ValueError(f"order total below {money(minimum, 'units')}")
    return {**event, "validated_by": context.function_name, "stage": os.environ["STAGE"]}
