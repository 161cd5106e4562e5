"""The local function behind the hybrid test case's unmocked LambdaState."""


def HelloWorldFunction(event):
    return {"StatusCode": 200, "body": f"real {event.get('who', 'nobody')}"}
