"""The optimized integrations AWS documents beyond sqs/sns/dynamodb/events/lambda/states:
AWS Batch, Amazon ECS/Fargate, AWS Glue, Amazon Athena, AWS CodeBuild, Amazon SageMaker
AI, Amazon EMR, EMR on EKS, EMR Serverless, Amazon EKS, AWS Glue DataBrew, AWS Elemental
MediaConvert, Amazon Bedrock (``spec.py`` says how one is described, ``services.py``
describes them, ``handler.py`` runs them; ``bedrock.py`` runs ``bedrock:invokeModel``).

``SERVICES`` is the table the task layer registers (``tasks/registry.py``) and a
resource grammar can read: for each service its actions and the patterns each supports.
"""

from .services import SERVICES
from .spec import CALLBACK, REQUEST_RESPONSE, SYNC, Action, Job, Service

__all__ = ["CALLBACK", "REQUEST_RESPONSE", "SERVICES", "SYNC", "Action", "Job", "Service"]
