import os


def lambda_handler(event, context):
    return {"name": event["name"],
            "greeting": f"{os.environ['GREETING']}, {event['name']}!",
            "table": os.environ["TABLE_NAME"]}
