"""The optimized integrations AWS documents beyond sqs/sns/dynamodb/events/lambda/states
(developer guide, "Integrating optimized services with Step Functions", and each
service's page named in ``docs``), as data: the actions, their patterns, how ``.sync``
polls each job and what it returns.
"""

from __future__ import annotations

from .custom import invoke_api, invoke_model
from .spec import CALLBACK, SYNC, ErrorStyle, Job, Json, action, first, service

# -- AWS Batch (connect-batch) ----------------------------------------------------------
_BATCH_TERMINAL = frozenset({"SUCCEEDED"}), frozenset({"FAILED"})


def _batch_prepare(params: Json, pattern: str) -> Json:
    """``.sync`` marks the job's container as started by Step Functions (an
    environment variable ``MANAGED_BY_AWS=STARTED_BY_STEP_FUNCTIONS``)."""
    if pattern != SYNC:
        return params
    overrides = dict(params.get("ContainerOverrides") or {})
    environment = list(overrides.get("Environment") or [])
    environment.append({"Name": "MANAGED_BY_AWS", "Value": "STARTED_BY_STEP_FUNCTIONS"})
    overrides["Environment"] = environment
    return {**params, "ContainerOverrides": overrides}


BATCH = service(
    "batch", "batch", ErrorStyle("Batch", "AWSBatch", cause="batch", by_code=True),
    "connect-batch",
    action("submitJob", SYNC, prepare=_batch_prepare, parameters=(
        "ArrayProperties", "ContainerOverrides", "DependsOn", "JobDefinition", "JobName",
        "JobQueue", "Parameters", "RetryStrategy", "Timeout", "Tags", "PropagateTags",
        "EksPropertiesOverride", "NodeOverrides", "SchedulingPriorityOverride",
        "ShareIdentifier", "EcsPropertiesOverride", "ConsumableResourcePropertiesOverride"),
        job=Job("DescribeJobs", lambda sub, _: {"Jobs": [sub["JobId"]]},
                lambda out: first(out.get("Jobs")).get("Status"), *_BATCH_TERMINAL,
                result=lambda out, sub, params: first(out.get("Jobs")))),
)

# -- Amazon ECS / Fargate (connect-ecs) -------------------------------------------------


def _ecs_prepare(params: Json, pattern: str) -> Json:
    """``.sync`` tasks are started by "AWS Step Functions" (``StartedBy``)."""
    return {**params, "StartedBy": "AWS Step Functions"} if pattern == SYNC else params


def _ecs_task_request(sub: Json, _: Json) -> Json:
    task = first(sub.get("Tasks"))
    return {"Cluster": task.get("ClusterArn"), "Tasks": [task.get("TaskArn")]}


def _ecs_status(out: Json) -> str | None:
    """A stopped task succeeded when each essential container exited with 0."""
    task = first(out.get("Tasks"))
    if task.get("LastStatus") != "STOPPED":
        return None
    codes = [c.get("ExitCode") for c in task.get("Containers") or ()]
    return "STOPPED" if all(code in (0, None) for code in codes) else "FAILED"


ECS = service(
    "ecs", "ecs", ErrorStyle("ECS", "AmazonECS"), "connect-ecs",
    action("runTask", SYNC, CALLBACK, prepare=_ecs_prepare, parameters=(
        "Cluster", "Group", "LaunchType", "NetworkConfiguration", "Overrides",
        "PlacementConstraints", "PlacementStrategy", "PlatformVersion", "PropagateTags",
        "TaskDefinition", "EnableExecuteCommand", "CapacityProviderStrategy", "Count",
        "EnableECSManagedTags", "ReferenceId", "Tags", "VolumeConfigurations"),
        job=Job("DescribeTasks", _ecs_task_request, _ecs_status,
                frozenset({"STOPPED"}), frozenset({"FAILED"}),
                result=lambda out, sub, params: first(out.get("Tasks")))),
)

# -- AWS Glue (connect-glue) ------------------------------------------------------------
GLUE = service(
    "glue", "glue", ErrorStyle("Glue", "AWSGlue", cause="message", by_code=True),
    "connect-glue",
    action("startJobRun", SYNC,
           result=lambda out, params: {**out, "JobName": params.get("JobName")},
           job=Job("GetJobRun",
                   lambda sub, params: {"JobName": params.get("JobName"),
                                        "RunId": sub["JobRunId"]},
                   lambda out: out.get("JobRun", {}).get("JobRunState"),
                   frozenset({"SUCCEEDED", "STOPPED"}),
                   frozenset({"FAILED", "TIMEOUT", "ERROR", "EXPIRED"}),
                   result=lambda out, sub, params: {**out.get("JobRun", {}),
                                                    "JobName": params.get("JobName")})),
)

# -- Amazon Athena (connect-athena) -----------------------------------------------------
ATHENA = service(
    "athena", "athena", ErrorStyle("Athena", "AmazonAthena"), "connect-athena",
    action("startQueryExecution", SYNC, job=Job(
        "GetQueryExecution", lambda sub, _: {"QueryExecutionId": sub["QueryExecutionId"]},
        lambda out: out.get("QueryExecution", {}).get("Status", {}).get("State"),
        frozenset({"SUCCEEDED"}), frozenset({"FAILED", "CANCELLED"}))),
    action("stopQueryExecution"),
    action("getQueryExecution"),
    action("getQueryResults"),
)

# -- AWS CodeBuild (connect-codebuild) --------------------------------------------------
_BUILD_DONE = frozenset({"SUCCEEDED"}), frozenset({"FAILED", "FAULT", "STOPPED",
                                                   "TIMED_OUT"})


def _build_job(describe: str, key: str, status: str, one: str) -> Job:
    """CodeBuild's builds and build batches: polled by id, the result ``{one: ...}``."""
    return Job(describe, lambda sub, _: {"Ids": [sub[one]["Id"]]},
               lambda out: first(out.get(key)).get(status), *_BUILD_DONE,
               result=lambda out, sub, params: {one: first(out.get(key))})


CODEBUILD = service(
    "codebuild", "codebuild", ErrorStyle("CodeBuild", "AWSCodeBuild"), "connect-codebuild",
    action("startBuild", SYNC, job=_build_job("BatchGetBuilds", "Builds", "BuildStatus",
                                              "Build")),
    action("stopBuild"),
    action("batchDeleteBuilds"),
    action("batchGetReports"),
    action("startBuildBatch", SYNC, job=_build_job("BatchGetBuildBatches", "BuildBatches",
                                                   "BuildBatchStatus", "BuildBatch")),
    action("stopBuildBatch"),
    action("retryBuildBatch", SYNC, job=_build_job("BatchGetBuildBatches", "BuildBatches",
                                                   "BuildBatchStatus", "BuildBatch")),
    action("deleteBuildBatch"),
)

# -- Amazon SageMaker AI (connect-sagemaker) --------------------------------------------
_SAGEMAKER_DONE = frozenset({"Completed"}), frozenset({"Failed", "Stopped"})


def _sagemaker_job(kind: str) -> Job:
    """``Describe<kind>Job`` by the name the request gave, until its status ends."""
    name = f"{kind}JobName"
    return Job(f"Describe{kind}Job", lambda sub, params: {name: params.get(name)},
               lambda out: out.get(f"{kind}JobStatus"), *_SAGEMAKER_DONE)


SAGEMAKER = service(
    "sagemaker", "sagemaker", ErrorStyle("SageMaker", "AmazonSageMaker"),
    "connect-sagemaker",
    action("createTrainingJob", SYNC, job=_sagemaker_job("Training")),
    action("createTransformJob", SYNC, job=_sagemaker_job("Transform")),
    action("createProcessingJob", SYNC, job=_sagemaker_job("Processing")),
    action("createHyperParameterTuningJob", SYNC, job=Job(
        "DescribeHyperParameterTuningJob",
        lambda sub, params: {"HyperParameterTuningJobName":
                             params.get("HyperParameterTuningJobName")},
        lambda out: out.get("HyperParameterTuningJobStatus"), *_SAGEMAKER_DONE)),
    action("createLabelingJob", SYNC, job=_sagemaker_job("Labeling")),
    action("createEndpoint"),
    action("createEndpointConfig"),
    action("createModel"),
    action("updateEndpoint"),
)

# -- Amazon EMR Serverless (connect-emr-serverless) -------------------------------------


def _application(state: str) -> Job:
    """An application polled until it reaches ``state``."""
    return Job("GetApplication", lambda sub, params: {
        "ApplicationId": sub.get("ApplicationId") or params.get("ApplicationId")},
        lambda out: out.get("Application", {}).get("State"), frozenset({state}),
        frozenset({"TERMINATED"} - {state}))


_JOB_RUN = Job("GetJobRun", lambda sub, params: {
    "ApplicationId": sub.get("ApplicationId") or params.get("ApplicationId"),
    "JobRunId": sub.get("JobRunId") or params.get("JobRunId")},
    lambda out: out.get("JobRun", {}).get("State"), frozenset({"SUCCESS"}),
    frozenset({"FAILED", "CANCELLED"}))
EMR_SERVERLESS = service(
    "emr-serverless", "emr-serverless", ErrorStyle("EmrServerless", "EmrServerless"),
    "connect-emr-serverless",
    action("createApplication", SYNC, job=_application("CREATED")),
    action("startApplication", SYNC, job=_application("STARTED")),
    action("stopApplication", SYNC, job=_application("STOPPED")),
    action("deleteApplication", SYNC, job=_application("TERMINATED")),
    action("startJobRun", SYNC, job=_JOB_RUN),
    action("cancelJobRun", SYNC, job=Job(
        _JOB_RUN.describe, _JOB_RUN.request, _JOB_RUN.status, frozenset({"CANCELLED"}),
        frozenset({"FAILED", "SUCCESS"}))),
)

# -- Amazon EMR (connect-emr) -----------------------------------------------------------
# Step Functions' EMR actions are named after clusters and steps; the API after job flows:
# each is mapped onto its operation, the cluster named ClusterId in both directions.
# (modifyInstanceFleetByName and modifyInstanceGroupByName, which look fleets and groups
# up by name, are not here yet.)


EMR = service(
    "elasticmapreduce", "emr", ErrorStyle("EMR", "AmazonElasticMapReduce"), "connect-emr",
    action("createCluster", SYNC, operation="RunJobFlow",
           result=lambda out, params: {"ClusterId": out.get("JobFlowId"),
                                       "ClusterArn": out.get("ClusterArn")},
           job=Job("DescribeCluster", lambda sub, _: {"ClusterId": sub["ClusterId"]},
                   lambda out: out.get("Cluster", {}).get("Status", {}).get("State"),
                   frozenset({"WAITING", "RUNNING"}),
                   frozenset({"TERMINATED", "TERMINATED_WITH_ERRORS"}))),
    action("terminateCluster", SYNC, operation="TerminateJobFlows",
           prepare=lambda params, _: {"JobFlowIds": [params.get("ClusterId")]},
           job=Job("DescribeCluster",
                   lambda sub, params: {"ClusterId": params.get("ClusterId")},
                   lambda out: out.get("Cluster", {}).get("Status", {}).get("State"),
                   frozenset({"TERMINATED"}), frozenset({"TERMINATED_WITH_ERRORS"}))),
    action("addStep", SYNC, operation="AddJobFlowSteps",
           prepare=lambda params, _: {"JobFlowId": params.get("ClusterId"),
                                      "Steps": [params.get("Step")],
                                      **({"ExecutionRoleArn": params["ExecutionRoleArn"]}
                                         if "ExecutionRoleArn" in params else {})},
           result=lambda out, params: {"StepId": (out.get("StepIds") or [None])[0]},
           job=Job("DescribeStep", lambda sub, params: {"ClusterId": params.get("ClusterId"),
                                                        "StepId": sub["StepId"]},
                   lambda out: out.get("Step", {}).get("Status", {}).get("State"),
                   frozenset({"COMPLETED"}),
                   frozenset({"CANCELLED", "FAILED", "INTERRUPTED"}))),
    action("cancelStep", operation="CancelSteps",
           prepare=lambda params, _: {"ClusterId": params.get("ClusterId"),
                                      "StepIds": [params.get("StepId")]}),
    action("setClusterTerminationProtection", operation="SetTerminationProtection",
           prepare=lambda params, _: {"JobFlowIds": [params.get("ClusterId")],
                                      "TerminationProtected":
                                          params.get("TerminationProtected")}),
)

# -- Amazon EMR on EKS (connect-emr-eks) ------------------------------------------------
EMR_CONTAINERS = service(
    "emr-containers", "emr-containers", ErrorStyle("EMRContainers", "AmazonEMRContainers"),
    "connect-emr-eks",
    action("createVirtualCluster"),
    action("deleteVirtualCluster", SYNC, job=Job(
        "DescribeVirtualCluster", lambda sub, params: {"Id": params.get("Id")},
        lambda out: out.get("VirtualCluster", {}).get("State"), frozenset({"TERMINATED"}),
        frozenset({"ARRESTED"}))),
    action("startJobRun", SYNC, job=Job(
        "DescribeJobRun", lambda sub, params: {"Id": sub["Id"],
                                               "VirtualClusterId": params.get(
                                                   "VirtualClusterId")},
        lambda out: out.get("JobRun", {}).get("State"), frozenset({"COMPLETED"}),
        frozenset({"FAILED", "CANCELLED"}))),
)

# -- Amazon EKS (connect-eks) -----------------------------------------------------------
# (runJob and call, which talk to the cluster's Kubernetes API, are not here yet.)


def _eks(describe: str, key: str, names: dict[str, str], ready: str | None) -> Job:
    """An EKS resource polled until it is ``ready``, or (``ready`` None, a deletion)
    until it is gone."""
    def request(sub: Json, params: Json) -> Json:
        return {member: params.get(source) for member, source in names.items()}
    return Job(describe, request, lambda out: out.get(key, {}).get("Status"),
               frozenset({ready} if ready else ()),
               frozenset({"FAILED", "CREATE_FAILED", "DELETE_FAILED"}),
               gone_is_done=ready is None)


_CLUSTER = {"Name": "Name"}
_PROFILE = {"ClusterName": "ClusterName", "FargateProfileName": "FargateProfileName"}
_NODEGROUP = {"ClusterName": "ClusterName", "NodegroupName": "NodegroupName"}
EKS = service(
    "eks", "eks", ErrorStyle("EKS", "AmazonEKS"), "connect-eks",
    action("createCluster", SYNC, CALLBACK,
           job=_eks("DescribeCluster", "Cluster", _CLUSTER, "ACTIVE")),
    action("deleteCluster", SYNC, CALLBACK,
           job=_eks("DescribeCluster", "Cluster", _CLUSTER, None)),
    action("createFargateProfile", SYNC, CALLBACK,
           job=_eks("DescribeFargateProfile", "FargateProfile", _PROFILE, "ACTIVE")),
    action("deleteFargateProfile", SYNC, CALLBACK,
           job=_eks("DescribeFargateProfile", "FargateProfile", _PROFILE, None)),
    action("createNodegroup", SYNC, CALLBACK,
           job=_eks("DescribeNodegroup", "Nodegroup", _NODEGROUP, "ACTIVE")),
    action("deleteNodegroup", SYNC, CALLBACK,
           job=_eks("DescribeNodegroup", "Nodegroup", _NODEGROUP, None)),
)

# -- AWS Glue DataBrew (connect-databrew) -----------------------------------------------
DATABREW = service(
    "databrew", "databrew", ErrorStyle("DataBrew", "AWSGlueDataBrew"), "connect-databrew",
    action("startJobRun", SYNC, job=Job(
        "DescribeJobRun", lambda sub, params: {"Name": params.get("Name"),
                                               "RunId": sub["RunId"]},
        lambda out: out.get("State"), frozenset({"SUCCEEDED"}),
        frozenset({"FAILED", "STOPPED", "TIMEOUT"}))),
)

# -- AWS Elemental MediaConvert (connect-mediaconvert) ----------------------------------
MEDIACONVERT = service(
    "mediaconvert", "mediaconvert", ErrorStyle("MediaConvert", "AWSMediaConvert"),
    "connect-mediaconvert",
    action("createJob", SYNC, job=Job(
        "GetJob", lambda sub, _: {"Id": sub.get("Job", {}).get("Id")},
        lambda out: out.get("Job", {}).get("Status"), frozenset({"COMPLETE"}),
        frozenset({"ERROR", "CANCELED"}))),
)

# -- Amazon Bedrock (connect-bedrock) ---------------------------------------------------
BEDROCK = service(
    "bedrock", "bedrock", ErrorStyle("Bedrock", "AmazonBedrock"), "connect-bedrock",
    action("invokeModel", CALLBACK, custom=invoke_model),
    action("createModelCustomizationJob", SYNC, CALLBACK, job=Job(
        "GetModelCustomizationJob",
        lambda sub, _: {"JobIdentifier": sub.get("JobArn")},
        lambda out: out.get("Status"), frozenset({"Completed"}),
        frozenset({"Failed", "Stopped"}))),
)

# -- Amazon API Gateway (connect-api-gateway) ------------------------------------------
API_GATEWAY = service(
    "apigateway", "apigateway", ErrorStyle("ApiGateway", "AmazonApiGateway"),
    "connect-api-gateway",
    action("invoke", CALLBACK, custom=invoke_api),
)

#: Every service of this table, by the name its ARNs use.
SERVICES = {s.name: s for s in (BATCH, ECS, GLUE, ATHENA, CODEBUILD, SAGEMAKER,
                                EMR_SERVERLESS, EMR, EMR_CONTAINERS, EKS, DATABREW,
                                MEDIACONVERT, BEDROCK, API_GATEWAY)}
