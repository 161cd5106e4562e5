"""The export job's task function: plain Python, addressed by a Lambda ARN."""

import stepfn


@stepfn.task_function(runs_in="process")  # CPU-heavy: run it in a process pool
def export_chunk(event):
    """'Export' one chunk: checksum its rows. Chunk 3 holds a corrupt row."""
    chunk = event["chunk"]
    rows = [f"{event['table']}:{chunk['id']}:{i}" for i in range(chunk["rows"])]
    if chunk.get("corrupt"):
        raise ValueError(f"row {chunk['rows'] // 2} of chunk {chunk['id']} is corrupt")
    checksum = sum(hash(row) & 0xFFFF for row in rows)
    return {"chunk": chunk["id"], "rows": len(rows), "checksum": checksum}
