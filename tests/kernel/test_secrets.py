"""No secret leaves the kernel: not to the model, the cell's own output, the inserted cells, the journal or an export."""

import base64
import json
from pathlib import Path

import pytest

from kernel_harness import Kernel
from standin import turn

TOKEN = "svc-" + "N7qLw2Zx8RkP4mVt" * 3  # a secret-named environment variable, in no known key format
DB_PASSWORD = "Tr0ub4dor-and-3"


def forms(secret):
    raw = secret.encode()
    return {secret, base64.b64encode(raw).decode()[:-4], raw.hex()}


def leaked(text, secrets):
    """The secrets (or a 12-character piece of one, or an encoded form) found in ``text``."""
    found = set()
    for secret in secrets:
        pieces = {secret[i:i + 12] for i in range(0, len(secret) - 11, 4)} | forms(secret)
        found |= {p for p in pieces if p in text}
    return found


@pytest.fixture(scope="module")
def kernel(server, tmp_path_factory):  # the stand-in `server` is conftest's; this kernel's environment has secrets
    k = Kernel({"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": "sk-ant-test-0000", "SERVICE_TOKEN": TOKEN,
                "DATABASE_URL": f"postgres://app:{DB_PASSWORD}@db.internal:5432/sales"},
               cwd=str(tmp_path_factory.mktemp("secrets")))
    assert k.execute("%load_ext codeact_magic").status == "ok"
    yield k
    k.shutdown()


STEP = """\
import base64, os
token = os.environ["SERVICE_TOKEN"]
print("exact", token)
print("b64", base64.b64encode(token.encode()).decode())
print("basic", base64.b64encode(b"svc:" + token.encode()).decode())
print("hex", token.encode().hex())
print("split", token[:20])
print(token[20:])
print("url", os.environ["DATABASE_URL"])
from urllib.parse import urlsplit
print("password", urlsplit(os.environ["DATABASE_URL"]).password)
print("user var", db_password, "config", config["api_key"])
import sys
sys.stderr.write(token[:10]); sys.stderr.write(token[10:] + "\\n")
{"token": token}
"""


def test_no_form_of_a_secret_reaches_the_model_the_cell_the_record_or_an_export(kernel, server, tmp_path):
    kernel.execute("db_password = 'opensesame-42'\nconfig = {'api_key': 'cfg-key-998877'}")
    secrets = [TOKEN, DB_PASSWORD, "opensesame-42", "cfg-key-998877"]
    server.enqueue(turn("Print them.", STEP), turn("Printed."))
    result = kernel.execute("%%codeact\nShow the token", metadata={"cellId": "cell-s"})
    assert result.status == "ok", result.text
    # the step ran and printed things: masked, not missing
    assert "exact <redacted>" in result.stdout and "url postgres://app:<redacted>@db.internal" in result.stdout
    # ... not to the model
    sent = json.dumps(server.requests[-1].body)
    assert "<redacted>" in sent and not leaked(sent, secrets)
    # ... not in the cell's own live output, streams, results and tracebacks included
    live = json.dumps([m["content"] for m in result.messages])
    assert not leaked(live, secrets)
    # ... not in the cells sent for insertion
    assert not leaked(json.dumps(result.codeact()), secrets)
    # ... not in the export or the journal
    out = tmp_path / "s.ipynb"
    assert kernel.execute(f"%codeact export {out}").status == "ok"
    assert "<redacted>" in out.read_text() and not leaked(out.read_text(), secrets)
    cwd = Path(kernel.value("__import__('os').getcwd()"))
    journal = "".join(p.read_text() for p in (cwd / ".codeact" / "runs").glob("*"))
    assert journal and not leaked(journal, secrets)


def test_a_secret_a_step_makes_is_masked_in_the_record(kernel, server):
    server.enqueue(turn("Make one.", "api_secret = 'made-in-step-5566'\nprint('it is', api_secret)"), turn("Done."))
    result = kernel.execute("%%codeact\nMake a secret")
    assert result.status == "ok", result.text
    # the model wrote the value itself, so its own tool_use keeps it; what the step printed is masked
    result_block = server.requests[-1].body["messages"][-1]["content"][0]
    assert result_block["content"] == "it is <redacted>"


def test_undecodable_output_is_replaced_not_fatal(kernel, server, tmp_path):
    server.enqueue(turn("Odd bytes.", "print('bad \\udcff byte')\nimport os\nos.write(1, b'raw \\xff\\xfe end\\n')"),
                   turn("Survived."))
    result = kernel.execute("%%codeact\nPrint odd bytes")
    assert result.status == "ok", result.text
    assert "Survived." in result.text
    sent = server.requests[-1].body["messages"][-1]["content"][0]["content"]
    assert "bad \ufffd byte" in sent
    out = tmp_path / "odd.ipynb"
    export = kernel.execute(f"%codeact export {out}")
    assert export.status == "ok", export.text
    assert "bad \ufffd byte" in out.read_text("utf-8")
