"""Run the whole export service locally: moto's server as S3/SQS/SNS, `stepfn serve` with
the export handlers, and the export API; then make a demo Delta table.

    python examples/export_service/local.py            # runs until Ctrl-C

The ``Stack`` class is what the demo, the tests and the benchmark start too.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REGION = "us-east-1"
BUCKET = "exports"
MACHINE = "export"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    """Wait until ``url`` answers (any HTTP status)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def wait_port_free(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
        time.sleep(0.1)


class Stack:
    """moto's server, `stepfn serve` and the export API, each a process on loopback."""

    def __init__(self, workdir: str | None = None, *, api_port: int | None = None,
                 stepfn_port: int | None = None, moto_port: int | None = None,
                 s3_endpoint: str | None = None, log_dir: str | None = None,
                 api_env: dict[str, str] | None = None) -> None:
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="export-service-"))
        self.moto_port = moto_port or free_port()
        self.stepfn_port = stepfn_port or free_port()
        self.api_port = api_port or free_port()
        self.moto_url = f"http://127.0.0.1:{self.moto_port}"
        self.stepfn_url = f"http://127.0.0.1:{self.stepfn_port}"
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        # Where the handlers reach S3 (a test may put a faulty proxy in between).
        self.s3_endpoint = s3_endpoint or self.moto_url
        self.log_dir = Path(log_dir) if log_dir else self.workdir
        self.api_env = api_env or {}  # e.g. EXPORT_BATCH_BYTES, EXPORT_MAX_CONCURRENCY
        self.processes: dict[str, subprocess.Popen] = {}
        self.machine_arn = f"arn:aws:states:{REGION}:123456789012:stateMachine:{MACHINE}"
        self.queue_url = self.notices_url = self.topic_arn = ""

    # -- environment ------------------------------------------------------------------

    def aws_env(self) -> dict[str, str]:
        """Credentials, region and endpoints: AWS services on moto, Step Functions on stepfn."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION,
                   AWS_ENDPOINT_URL=self.moto_url, AWS_ENDPOINT_URL_S3=self.s3_endpoint,
                   AWS_ENDPOINT_URL_SFN=self.stepfn_url,
                   AWS_DISABLE_HOST_PREFIX_INJECTION="true", AWS_EC2_METADATA_DISABLED="true")
        return env

    def client(self, service: str, endpoint: str | None = None) -> Any:
        import boto3

        url = endpoint or (self.stepfn_url if service == "stepfunctions" else self.moto_url)
        return boto3.client(service, region_name=REGION, endpoint_url=url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def storage_options(self) -> dict[str, str]:
        """deltalake's options for the S3 of this stack."""
        return {"AWS_ENDPOINT_URL": self.moto_url, "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_ALLOW_HTTP": "true"}

    # -- processes --------------------------------------------------------------------

    def _spawn(self, name: str, args: list[str],
               extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # kept open with the process
        process = subprocess.Popen(args, env={**self.aws_env(), **(extra_env or {})},
                                   stdout=log, stderr=subprocess.STDOUT, cwd=HERE,
                                   start_new_session=True)
        self.processes[name] = process
        return process

    def start_moto(self) -> None:
        process = self._spawn("moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                       "-p", str(self.moto_port)])
        wait_http(self.moto_url + "/moto-api/", process=process)

    def start_stepfn(self) -> None:
        """`stepfn serve` on this stack's SQLite file, with the export handlers."""
        wait_port_free(self.stepfn_port)  # a killed server's pool workers may still hold it
        process = self._spawn("stepfn", [
            sys.executable, "-m", "stepfn.cli", "serve", "--port", str(self.stepfn_port),
            "--db", str(self.workdir / "stepfn.db"), "--functions", str(HERE / "handlers.py")])
        wait_http(self.stepfn_url + "/health", process=process)

    def start_api(self) -> None:
        env_args = [sys.executable, "-m", "uvicorn", "--app-dir", str(HERE), "app:app",
                    "--host", "127.0.0.1", "--port", str(self.api_port), "--log-level", "warning"]
        process = self._spawn("api", env_args, self.api_config())
        wait_http(self.api_url + "/health", process=process)

    def api_config(self) -> dict[str, str]:
        return {"EXPORT_STATE_MACHINE_ARN": self.machine_arn, "EXPORT_BUCKET": BUCKET,
                "EXPORT_FAILED_QUEUE_URL": self.queue_url, "EXPORT_TOPIC_ARN": self.topic_arn,
                **self.api_env}

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal a process's group (a process pool goes too); SIGKILL after 10 s."""
        process = self.processes.pop(name, None)
        if process is None:
            return
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        for name in ("api", "stepfn", "moto"):
            self.kill(name, signal.SIGTERM)

    # -- resources --------------------------------------------------------------------

    def create_resources(self) -> None:
        """The bucket, the failed-exports queue, the notices topic (with a queue
        subscribed to it, to read the notices back) and the state machine."""
        self.client("s3").create_bucket(Bucket=BUCKET)
        sqs, sns = self.client("sqs"), self.client("sns")
        self.queue_url = sqs.create_queue(QueueName="failed-exports")["QueueUrl"]
        self.notices_url = sqs.create_queue(QueueName="export-notices-inbox")["QueueUrl"]
        self.topic_arn = sns.create_topic(Name="export-notices")["TopicArn"]
        inbox_arn = sqs.get_queue_attributes(QueueUrl=self.notices_url,
                                             AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=inbox_arn,
                      Attributes={"RawMessageDelivery": "true"})
        self.deploy()

    def deploy(self) -> None:
        sfn = self.client("stepfunctions")
        definition = (HERE / "workflow.asl.json").read_text()
        try:
            sfn.create_state_machine(name=MACHINE, definition=definition,
                                     roleArn="arn:aws:iam::123456789012:role/export")
        except sfn.exceptions.StateMachineAlreadyExists:
            sfn.update_state_machine(stateMachineArn=self.machine_arn, definition=definition)

    def start(self) -> Stack:
        self.start_moto()
        self.start_stepfn()
        self.create_resources()
        self.start_api()
        return self

    # -- reading back -----------------------------------------------------------------

    def drain(self, queue_url: str) -> list[dict]:
        """Every message now on a queue (bodies parsed), deleted as read."""
        sqs = self.client("sqs")
        bodies: list[dict] = []
        while True:
            got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                      WaitTimeSeconds=0).get("Messages", [])
            if not got:
                return bodies
            for message in got:
                bodies.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    # -- the API, as a client calls it ----------------------------------------------------

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, dict, float]:
        """(status, JSON answer, seconds taken) of one API request."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.api_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        return status, json.loads(raw), time.perf_counter() - began

    def wait_export(self, export_id: str, timeout: float = 120.0,
                    latencies: list[float] | None = None, interval: float = 0.2) -> dict:
        """Poll GET /exports/{id} until the export ends; its last answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, answer, took = self.api("GET", f"/exports/{export_id}")
            if latencies is not None:
                latencies.append(took)
            if status == 200 and answer["status"] != "RUNNING":
                return answer
            time.sleep(interval)
        raise TimeoutError(f"export {export_id} still running after {timeout} s")

    def manifest(self, export_id: str) -> dict:
        body = self.client("s3").get_object(
            Bucket=BUCKET, Key=f"exports/{export_id}/manifest.json")["Body"].read()
        return dict(json.loads(body))

    def read_parts(self, parts: list[dict], fmt: str) -> Any:
        """The rows of an export's parts, as one pyarrow table."""
        import io

        import pyarrow as pa
        import pyarrow.csv as pcsv
        import pyarrow.parquet as pq

        s3, tables = self.client("s3"), []
        for part in parts:
            bucket, _, key = part["uri"].removeprefix("s3://").partition("/")
            raw = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            tables.append(pcsv.read_csv(io.BytesIO(raw)) if fmt == "csv"
                          else pq.read_table(io.BytesIO(raw)))
        return pa.concat_tables(tables, promote_options="permissive") if tables else None

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def make_demo_table(stack: Stack, name: str = "demo", files: int = 6,
                    rows_per_file: int = 2000) -> tuple[str, int]:
    """A Delta table on the stack's S3; returns its URI and row count."""
    sys.path.insert(0, str(HERE))
    from table import make_table

    uri = f"s3://{BUCKET}/tables/{name}"
    return uri, make_table(uri, files, rows_per_file, stack.storage_options())


def main() -> int:
    stack = Stack(api_port=int(os.environ.get("EXPORT_API_PORT", "8080")),
                  stepfn_port=int(os.environ.get("STEPFN_PORT", "8083")))
    stack.start()
    uri, count = make_demo_table(stack)
    print(f"moto (S3, SQS, SNS): {stack.moto_url}\nstepfn serve:        {stack.stepfn_url}\n"
          f"export API:          {stack.api_url}\nlogs:                {stack.log_dir}\n"
          f"demo table:          {uri} ({count} rows)\n\ntry:\n"
          f"  curl -s -XPOST {stack.api_url}/exports -d '{{\"table\": \"{uri}\", "
          f"\"format\": \"csv\", \"columns\": [\"id\", \"amount\"], "
          f"\"filter\": [[\"region\", \"=\", \"eu\"]]}}'\n"
          f"  curl -s {stack.api_url}/exports/<exportId>\n\nCtrl-C stops everything.")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the stack on SIGTERM too
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
