"""The optimized integrations of tasks/integrations against moto's server: parameters
mapped onto the API's members, PascalCase results, ``.sync`` polling each job to its
end (moto advances a job one state per describe where it has state transitions), the
job's description as the result, ``States.TaskFailed`` with it as the cause when the
job fails, and each service's error names. Services moto cannot serve with this
botocore (Athena's and CodeBuild's protocols changed) or lacks (MediaConvert) run
mocked, with their real result shapes."""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from stepfn import Engine

from .conftest import REGION, assert_succeeded, task_machine, unique

ROLE = "arn:aws:iam::123456789012:role/stepfn"


@pytest.fixture()
def fast(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """An Engine whose .sync tasks poll every 20 ms."""
    monkeypatch.setenv("STEPFN_SYNC_POLL_SECONDS", "0.02")
    return Engine(region=REGION)


def _moto(endpoint: str, path: str, body: dict) -> None:
    request = urllib.request.Request(endpoint + path, data=json.dumps(body).encode(),
                                     method="POST")
    urllib.request.urlopen(request, timeout=10).close()


@pytest.fixture(scope="module")
def batch(moto_endpoint: str, aws) -> dict:
    """A job queue and definition on moto's Batch without Docker (jobs succeed)."""
    _moto(moto_endpoint, "/moto-api/config", {"batch": {"use_docker": False}})
    client = aws.client("batch")
    role = aws.client("iam").create_role(RoleName=unique("batch"),
                                         AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    env = client.create_compute_environment(
        computeEnvironmentName=unique("env"), type="UNMANAGED",
        serviceRole=role)["computeEnvironmentArn"]
    queue = client.create_job_queue(
        jobQueueName=unique("queue"), state="ENABLED", priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env}])["jobQueueArn"]
    definition = client.register_job_definition(
        jobDefinitionName=unique("jobdef"), type="container",
        containerProperties={"image": "busybox", "vcpus": 1, "memory": 128,
                             "command": ["true"]})["jobDefinitionArn"]
    return {"JobQueue": queue, "JobDefinition": definition}


def _run(engine: Engine, resource: str, params: dict) -> Any:
    return engine.run(task_machine(resource, Parameters=params), {})


def test_batch_submit_job_request_response_and_sync(fast: Engine, batch: dict) -> None:
    params = {"JobName": "nightly", **batch}
    submitted = assert_succeeded(_run(fast, "arn:aws:states:::batch:submitJob", params))
    assert set(submitted) == {"JobArn", "JobId", "JobName"}
    result = _run(fast, "arn:aws:states:::batch:submitJob.sync", params)
    job = assert_succeeded(result)
    assert (job["Status"], job["JobName"], job["JobQueue"]) == (
        "SUCCEEDED", "nightly", batch["JobQueue"])
    # .sync marks the container as started by Step Functions.
    assert {"Name": "MANAGED_BY_AWS", "Value": "STARTED_BY_STEP_FUNCTIONS"} in \
        job["Container"]["Environment"]
    # History: TaskSubmitted carries the submission, the resource names its pattern.
    events = [e for e in result.events if e.type.startswith("Task")]
    assert [e.type for e in events] == ["TaskStateEntered", "TaskScheduled", "TaskStarted",
                                        "TaskSubmitted", "TaskSucceeded", "TaskStateExited"]
    assert events[1].details["resource"] == "submitJob.sync"
    submitted_event = events[3].details
    assert submitted_event["resource"] == "submitJob.sync"
    assert json.loads(submitted_event["output"])["JobId"] == job["JobId"]


def test_batch_failed_job_and_bad_requests(fast: Engine, batch: dict,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_SIMPLE_BATCH_FAIL_AFTER", "0")  # moto runs in this process
    result = _run(fast, "arn:aws:states:::batch:submitJob.sync", {"JobName": "j", **batch})
    assert (result.status, result.error) == ("FAILED", "States.TaskFailed")
    assert json.loads(result.cause)["Status"] == "FAILED"
    monkeypatch.delenv("MOTO_SIMPLE_BATCH_FAIL_AFTER")
    missing = _run(fast, "arn:aws:states:::batch:submitJob",
                   {"JobName": "j", "JobQueue": "nope", "JobDefinition": "x"})
    assert missing.error == "Batch.ClientException"
    assert missing.cause.startswith("Error executing request, Exception : ")
    assert "(Service: AWSBatch; Status Code: 400; Error Code: ClientException;" in \
        missing.cause
    unsupported = _run(fast, "arn:aws:states:::batch:submitJob",
                       {"JobName": "j", "Bogus": 1, **batch})
    assert unsupported.error == "States.Runtime"
    assert "The field 'Bogus' is not supported by Step Functions" in unsupported.cause


def test_glue_start_job_run(fast: Engine, aws) -> None:
    name = unique("job")
    aws.client("glue").create_job(Name=name, Role=ROLE, Command={
        "Name": "glueetl", "ScriptLocation": "s3://bucket/script.py"})
    started = assert_succeeded(_run(fast, "arn:aws:states:::glue:startJobRun",
                                    {"JobName": name}))
    assert set(started) == {"JobRunId", "JobName"} and started["JobName"] == name
    run = assert_succeeded(_run(fast, "arn:aws:states:::glue:startJobRun.sync",
                                {"JobName": name, "Arguments": {"--day": "1"}}))
    assert (run["JobName"], run["JobRunState"]) == (name, "SUCCEEDED")
    assert run["Arguments"] == {"--day": "1"}
    missing = _run(fast, "arn:aws:states:::glue:startJobRun", {"JobName": "nope"})
    assert (missing.error, missing.cause) == ("Glue.EntityNotFoundException",
                                              "Job nope not found.")
    # .sync whose submitting call fails: TaskSubmitFailed, not TaskFailed (as AWS)
    unsubmitted = _run(fast, "arn:aws:states:::glue:startJobRun.sync", {"JobName": "nope"})
    assert unsubmitted.error == "Glue.EntityNotFoundException"
    types = [e.type for e in unsubmitted.events]
    assert "TaskSubmitFailed" in types and "TaskFailed" not in types


def test_ecs_run_task_sync_waits_until_the_task_stopped(fast: Engine, aws) -> None:
    ecs = aws.client("ecs")
    cluster = ecs.create_cluster(clusterName=unique("cluster"))["cluster"]["clusterArn"]
    # (bridge networking: moto's Fargate awsvpc tasks fail on its own ENI model)
    task_definition = ecs.register_task_definition(
        family=unique("family"), networkMode="bridge",
        containerDefinitions=[{"name": "app", "image": "busybox", "memory": 128}],
    )["taskDefinition"]["taskDefinitionArn"]
    result = _run(fast, "arn:aws:states:::ecs:runTask.sync", {
        "Cluster": cluster, "TaskDefinition": task_definition, "LaunchType": "FARGATE"})
    task = assert_succeeded(result)
    # moto moves a task one step per DescribeTasks: RUNNING ... STOPPED.
    assert (task["LastStatus"], task["StartedBy"]) == ("STOPPED", "AWS Step Functions")
    assert task["TaskDefinitionArn"] == task_definition
    assert result.events[-1].type == "ExecutionSucceeded"


def _sagemaker(aws) -> tuple[str, dict]:
    name = unique("training")
    return "arn:aws:states:::sagemaker:createTrainingJob.sync", {
        "TrainingJobName": name, "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": "image", "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                           "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 60}}


def _emr_serverless(aws) -> tuple[str, dict]:
    application = aws.client("emr-serverless").create_application(
        name=unique("app"), releaseLabel="emr-6.6.0", type="SPARK")["applicationId"]
    return "arn:aws:states:::emr-serverless:startJobRun.sync", {
        "ApplicationId": application, "ExecutionRoleArn": ROLE,
        "JobDriver": {"SparkSubmit": {"EntryPoint": "s3://bucket/job.py"}}}


def _eks(aws) -> tuple[str, dict]:
    return "arn:aws:states:::eks:createCluster.sync", {
        "Name": unique("eks"), "RoleArn": ROLE,
        "ResourcesVpcConfig": {"SubnetIds": ["subnet-1"]}}


def _eks_delete(aws) -> tuple[str, dict]:
    name = unique("eks")
    aws.client("eks").create_cluster(name=name, roleArn=ROLE,
                                     resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    return "arn:aws:states:::eks:deleteCluster.sync", {"Name": name}


def _emr(aws) -> tuple[str, dict]:
    return "arn:aws:states:::elasticmapreduce:createCluster.sync", {
        "Name": unique("emr"), "ReleaseLabel": "emr-6.6.0", "JobFlowRole": "role",
        "ServiceRole": "role", "Instances": {"KeepJobFlowAliveWhenNoSteps": True,
                                             "InstanceCount": 1,
                                             "MasterInstanceType": "m5.xlarge"}}


@pytest.mark.parametrize(("arrange", "check"), [
    (_sagemaker, lambda out: out["TrainingJobStatus"] == "Completed"),
    (_emr_serverless, lambda out: out["JobRun"]["State"] == "SUCCESS"),
    (_eks, lambda out: out["Cluster"]["Status"] == "ACTIVE"),
    # a deletion ends when the cluster is gone (DescribeCluster: not found)
    (_eks_delete, lambda out: out["Cluster"]["Status"] in ("DELETING", "ACTIVE")),
    (_emr, lambda out: out["Cluster"]["Status"]["State"] in ("WAITING", "RUNNING")),
], ids=["sagemaker", "emr-serverless", "eks", "eks-delete", "emr"])
def test_jobs_run_to_their_end(fast: Engine, aws, arrange: Any, check: Any) -> None:
    resource, params = arrange(aws)
    output = assert_succeeded(_run(fast, resource, params))
    assert check(output), output


def test_emr_add_step_names_the_cluster_as_step_functions_does(fast: Engine, aws) -> None:
    resource, params = _emr(aws)
    cluster = assert_succeeded(_run(fast, resource.removesuffix(".sync"), params))
    assert set(cluster) == {"ClusterId", "ClusterArn"}
    step = assert_succeeded(_run(fast, "arn:aws:states:::elasticmapreduce:addStep", {
        "ClusterId": cluster["ClusterId"], "Step": {
            "Name": "s", "ActionOnFailure": "CONTINUE",
            "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["true"]}}}))
    assert step["StepId"].startswith("s-")


def test_bedrock_invoke_model(fast: Engine) -> None:
    output = assert_succeeded(_run(fast, "arn:aws:states:::bedrock:invokeModel", {
        "ModelId": "anthropic.claude-v2", "Body": {"prompt": "hi", "max_tokens": 5}}))
    # moto's Bedrock Runtime answers an empty JSON document.
    assert output == {"Body": {}, "ContentType": "application/json"}


class _Api(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, dict, bytes]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        _Api.seen.append((self.command, self.path, dict(self.headers), body))
        status = 404 if "missing" in self.path else 200
        payload = json.dumps({"ok": status == 200}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


def test_api_gateway_invoke(fast: Engine) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        output = assert_succeeded(_run(fast, "arn:aws:states:::apigateway:invoke", {
            "ApiEndpoint": endpoint, "Method": "POST", "Stage": "prod", "Path": "orders",
            "Headers": {"X-Tenant": ["a"]}, "QueryParameters": {"page": ["2"]},
            "RequestBody": {"id": 7}}))
        missing = _run(fast, "arn:aws:states:::apigateway:invoke", {
            "ApiEndpoint": endpoint, "Method": "GET", "Path": "missing"})
        reserved = _run(fast, "arn:aws:states:::apigateway:invoke", {
            "ApiEndpoint": endpoint, "Method": "GET", "Headers": {"Authorization": ["x"]}})
    finally:
        server.shutdown()
    assert (output["StatusCode"], output["StatusText"], output["ResponseBody"]) == (
        200, "OK", {"ok": True})
    assert output["Headers"]["Content-Type"] == ["application/json"]
    method, path, headers, body = _Api.seen[0]
    assert (method, path, json.loads(body)) == ("POST", "/prod/orders?page=2", {"id": 7})
    assert headers["X-Tenant"] == "a"
    assert (missing.error, missing.cause) == ("ApiGateway.404", '{"ok": false}')
    assert reserved.error == "States.Runtime" and "Authorization" in reserved.cause


@pytest.mark.parametrize(("resource", "shape"), [
    ("arn:aws:states:::athena:startQueryExecution.sync",
     {"QueryExecution": {"QueryExecutionId": "q-1", "Status": {"State": "SUCCEEDED"}}}),
    ("arn:aws:states:::codebuild:startBuild.sync",
     {"Build": {"Id": "p:1", "BuildStatus": "SUCCEEDED"}}),
    ("arn:aws:states:::mediaconvert:createJob.sync",
     {"Job": {"Id": "j-1", "Status": "COMPLETE"}}),
], ids=["athena", "codebuild", "mediaconvert"])
def test_integrations_moto_cannot_serve_are_mockable(workflow: Any, resource: str,
                                                     shape: dict) -> None:
    workflow.mock_resource(resource, returns=shape)
    run = workflow.run(task_machine(resource, Parameters={"Any": "thing"}), {})
    assert run.output == shape


#: What the Resource grammar accepts and stepfn does not run yet (each fails its task
#: with a States.Runtime error saying so).
NOT_RUN = {("eks", "runJob"), ("eks", "call"),
           ("elasticmapreduce", "modifyInstanceFleetByName"),
           ("elasticmapreduce", "modifyInstanceGroupByName")}


def test_the_grammar_and_the_runners_agree_on_every_optimized_action() -> None:
    from stepfn.asl.resources import OPTIMIZED
    from stepfn.tasks.integrations import SERVICES

    for name, service in SERVICES.items():
        integration = OPTIMIZED[name]
        assert set(service.actions) == set(integration.actions) - {
            action for svc, action in NOT_RUN if svc == name}, name
        for action_name, action in service.actions.items():
            assert action.patterns == integration.patterns(action_name), (name, action_name)
            assert (action.job is not None) == ("sync" in action.patterns), action_name


def test_an_action_stepfn_does_not_run_says_so(fast: Engine) -> None:
    result = _run(fast, "arn:aws:states:::eks:runJob", {"ClusterName": "c"})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "eks:runJob is not supported by stepfn yet" in result.cause


def test_testing_mocks_of_optimized_actions_are_checked_against_their_api_model() -> None:
    from stepfn.service.errors import InvalidRequest
    from stepfn.service.mock_validation import check_mock_result

    resource = "arn:aws:states:::athena:getQueryResults"
    check_mock_result(resource, {"ResultSet": {"Rows": [{"Data": [{"VarCharValue": "1"}]}]}},
                      "STRICT")
    with pytest.raises(InvalidRequest, match="ResultSet.Rows must be an array"):
        check_mock_result(resource, {"ResultSet": {"Rows": "x"}}, "STRICT")
    # A .sync result is the job's description, not the operation's output: not checked.
    check_mock_result("arn:aws:states:::athena:startQueryExecution.sync", {"Any": 1},
                      "STRICT")


def test_eventbridge_scheduler_through_the_sdk_integration(engine: Engine, aws) -> None:
    # EventBridge Scheduler has no optimized integration: AWS documents the aws-sdk one.
    name = unique("schedule")
    output = assert_succeeded(engine.run(task_machine(
        "arn:aws:states:::aws-sdk:scheduler:createSchedule", Parameters={
            "Name": name, "ScheduleExpression": "rate(1 hour)",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": ROLE}}),
        {}))
    assert output["ScheduleArn"].endswith(f":schedule/default/{name}")
    assert aws.client("scheduler").get_schedule(Name=name)["ScheduleExpression"] == \
        "rate(1 hour)"
