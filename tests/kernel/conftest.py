import pytest

from kernel_harness import Kernel
from standin import StandIn


@pytest.fixture(scope="module")
def server():
    with StandIn() as s:
        yield s


@pytest.fixture(scope="module")
def kernel(server, tmp_path_factory):
    k = Kernel({"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_API_KEY": "sk-ant-test-0000"},
               cwd=str(tmp_path_factory.mktemp("kernel")))
    result = k.execute("%load_ext codeact_magic")
    assert result.status == "ok", result.text
    # the kernel opens its comm at once, so a page that connects later finds it and asks for the runs
    assert [m["content"]["target_name"] for m in result.messages if m["msg_type"] == "comm_open"] == ["codeact"]
    yield k
    k.shutdown()


@pytest.fixture(autouse=True)
def fresh_server(request):
    """Each test starts with an empty queue, no recorded requests and an empty prompt cache."""
    if "server" in request.fixturenames:
        s = request.getfixturevalue("server")
        s.reset()
    yield
