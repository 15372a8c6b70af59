"""The check behind ``--approve risky`` (:mod:`codeact_magic.risks`): what a step's AST shows it may reach."""

import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from codeact_magic.risks import KINDS, Risk, assess, describe


def kinds(code, **kwargs):
    return [r.kind for r in assess(code, **kwargs)]


def only(code, **kwargs):
    """The one risk ``code`` has."""
    risks = assess(code, **kwargs)
    assert len(risks) == 1, risks
    return risks[0]


@pytest.mark.parametrize("code, kind, named", [
    # shell escapes and shell magics
    ("!ls -la", "shell", "!ls -la"),
    ("files = !ls", "shell", "!ls"),
    ("files = !!ls", "shell", "!ls"),
    ("%sx ls", "shell", "%sx ls"),
    ("out = %sx ls", "shell", "%sx ls"),
    ("%system ls", "shell", "%system ls"),
    ("%%bash\nls -la\n", "shell", "%%bash"),
    ("%%sh\nls\n", "shell", "%%sh"),
    ("%%script bash\nls\n", "shell", "%%script"),
    ("%%system\nls\n", "shell", "%%system"),
    ("%ls -la", "shell", "%ls -la"),
    ("%cat notes.txt", "shell", "%cat"),
    ("!pip show pandas", "shell", "!pip show"),
    ("import subprocess\nsubprocess.run(['ls', '-la'])", "shell", "subprocess.run"),
    ("import subprocess\nsubprocess.call('ls', shell=True)", "shell", "subprocess.call"),
    ("import subprocess\nsubprocess.check_call(['ls'])", "shell", "subprocess.check_call"),
    ("import subprocess\nout = subprocess.check_output(['ls'])", "shell", "subprocess.check_output"),
    ("import subprocess\np = subprocess.Popen(['ls'])", "shell", "subprocess.Popen"),
    ("import subprocess\nsubprocess.getoutput('ls')", "shell", "subprocess.getoutput"),
    ("import subprocess\nsubprocess.getstatusoutput('ls')", "shell", "subprocess.getstatusoutput"),
    ("import os\nos.system('ls')", "shell", "os.system"),
    ("import os\ntext = os.popen('ls').read()", "shell", "os.popen"),
    ("import os\nos.execv('/bin/ls', ['ls'])", "shell", "os.execv"),
    ("import os\nos.execlp('ls', 'ls')", "shell", "os.execlp"),
    ("import os\nos.spawnl(os.P_WAIT, '/bin/ls', 'ls')", "shell", "os.spawnl"),
    ("import os\nos.posix_spawn('/bin/ls', ['ls'], {})", "shell", "os.posix_spawn"),
    ("import os\nos.posix_spawnp('ls', ['ls'], {})", "shell", "os.posix_spawnp"),
    ("import pty\npty.spawn('bash')", "shell", "pty.spawn"),
    # aliases
    ("import subprocess as sp\nsp.run(['ls'])", "shell", "subprocess.run"),
    ("from subprocess import run\nrun(['ls'])", "shell", "subprocess.run"),
    ("from subprocess import check_output as co\nco(['ls'])", "shell", "subprocess.check_output"),
    ("from os import system\nsystem('ls')", "shell", "os.system"),
    ("import os as o\no.system('ls')", "shell", "os.system"),
    # installs
    ("%pip install polars", "install", "%pip install polars"),
    ("%pip install -q polars", "install", "polars"),
    ("%pip -q install polars", "install", "polars"),
    ("%pip uninstall -y polars", "install", "%pip uninstall"),
    ("%conda install -c conda-forge polars", "install", "%conda install"),
    ("%mamba install polars", "install", "%mamba install"),
    ("!pip install polars", "install", "!pip install polars"),
    ("!pip3 install polars", "install", "pip3"),
    ("!conda install -y polars", "install", "!conda install"),
    ("!python -m pip install polars", "install", "python -m pip install"),
    ("!{sys.executable} -m pip install polars", "install", "pip install polars"),
    ("%sx pip install polars", "install", "pip install"),
    ("%%bash\npip install polars\n", "install", "%%bash"),
    ("import subprocess, sys\nsubprocess.run([sys.executable, '-m', 'pip', 'install', 'polars'])", "install",
     "subprocess.run"),
    ("import subprocess\nsubprocess.check_call(('conda', 'install', '-y', 'polars'))", "install",
     "subprocess.check_call"),
    ("import os\nos.system('pip install polars')", "install", "os.system"),
    ("import pip\npip.main(['install', 'polars'])", "install", "pip.main"),
    # deleting files
    ("import os\nos.remove('a.csv')", "file_delete", "os.remove('a.csv')"),
    ("import os\nos.unlink('a.csv')", "file_delete", "os.unlink"),
    ("import os\nos.rmdir('out')", "file_delete", "os.rmdir"),
    ("import os\nos.removedirs('out/a')", "file_delete", "os.removedirs"),
    ("import shutil\nshutil.rmtree('out')", "file_delete", "shutil.rmtree"),
    ("import shutil\nshutil.move('a.csv', 'b.csv')", "file_delete", "shutil.move"),
    ("import os\nos.rename('a.csv', 'b.csv')", "file_delete", "os.rename"),
    ("import os\nos.replace('a.csv', 'b.csv')", "file_delete", "os.replace"),
    ("from os import remove\nremove('a.csv')", "file_delete", "os.remove"),
    ("from pathlib import Path\nPath('a.csv').unlink()", "file_delete", "unlink"),
    ("from pathlib import Path\nPath('out').rmdir()", "file_delete", "rmdir"),
    ("p.unlink(missing_ok=True)", "file_delete", "p.unlink"),
    ("for f in files:\n    f.unlink()", "file_delete", "f.unlink"),
    ("from pathlib import Path\nPath('a.csv').rename('b.csv')", "file_delete", "rename"),
    ("%rm a.csv", "file_delete", "%rm a.csv"),
    ("%mv a.csv b.csv", "file_delete", "%mv"),
    # writing files
    ("open('out.txt', 'w')", "file_write", "open('out.txt', 'w')"),
    ("with open('log.txt', 'a') as f:\n    f.write('x')", "file_write", "open('log.txt', 'a')"),
    ("open('new.txt', 'x')", "file_write", "open"),
    ("open('data.bin', 'r+b')", "file_write", "open"),
    ("open('out.txt', mode='wb')", "file_write", "open"),
    ("open(name, mode)", "file_write", "known only at run time"),
    ("import io\nio.open('out.txt', 'w')", "file_write", "io.open"),
    ("import gzip\ngzip.open('out.gz', 'wt')", "file_write", "gzip.open"),
    ("import os\nfd = os.open('out.txt', os.O_WRONLY | os.O_CREAT)", "file_write", "os.open"),
    ("from pathlib import Path\nPath('out.txt').write_text('hi')", "file_write", "write_text"),
    ("from pathlib import Path\nPath('out.bin').write_bytes(b'hi')", "file_write", "write_bytes"),
    ("from pathlib import Path\nPath('flag').touch()", "file_write", "touch"),
    ("from pathlib import Path\nwith Path('out.txt').open('w') as f:\n    pass", "file_write", "open('w')"),
    ("import shutil\nshutil.copy('a.csv', 'b.csv')", "file_write", "shutil.copy"),
    ("import shutil\nshutil.copyfile('a.csv', 'b.csv')", "file_write", "shutil.copyfile"),
    ("import shutil\nshutil.copytree('a', 'b')", "file_write", "shutil.copytree"),
    ("%%writefile helper.py\ndef f():\n    pass\n", "file_write", "%%writefile helper.py"),
    ("%cp a.csv b.csv", "file_write", "%cp"),
    ("import json\njson.dump({}, open('out.json', 'w'))", "file_write", "open('out.json', 'w')"),
    # network
    ("import requests", "network", "requests"),
    ("import requests\nr = requests.get('https://example.com')", "network", "requests.get"),
    ("import httpx\nhttpx.post(url, json={})", "network", "httpx.post"),
    ("import urllib.request\nurllib.request.urlopen('https://example.com')", "network", "urllib.request.urlopen"),
    ("from urllib.request import urlopen\nurlopen(url)", "network", "urlopen"),
    ("from urllib.request import urlretrieve\nurlretrieve(url, 'x.zip')", "network", "urlretrieve"),
    ("from urllib import request", "network", "urllib.request"),
    ("import urllib3", "network", "urllib3"),
    ("import http.client", "network", "http.client"),
    ("import aiohttp", "network", "aiohttp"),
    ("import socket\ns = socket.socket()", "network", "socket.socket"),
    ("import ftplib", "network", "ftplib"),
    ("import smtplib\nsmtplib.SMTP('mail.example.com')", "network", "smtplib.SMTP"),
    ("import paramiko", "network", "paramiko"),
    ("import websockets", "network", "websockets"),
    ("import boto3\ns3 = boto3.client('s3')", "network", "boto3.client"),
    ("from google.cloud import storage", "network", "google.cloud"),
    ("import xmlrpc.client", "network", "xmlrpc.client"),
    ("from requests import get\nget(url)", "network", "requests.get"),
    ("import requests as rq\nrq.get(url)", "network", "requests.get"),
    ("__import__('requests')", "network", "requests"),
    ("sales = pd.read_csv('https://example.com/sales.csv')", "network", "https://example.com/sales.csv"),
    ("pd.read_json('http://example.com/x.json')", "network", "http://example.com/x.json"),
    ("df = pd.read_parquet('s3://bucket/x.parquet')", "network", "s3://bucket/x.parquet"),
    ("df = pd.read_csv('gs://bucket/x.csv')", "network", "gs://bucket/x.csv"),
    ("load_data(path='ftp://example.com/x.csv')", "network", "ftp://example.com/x.csv"),
    ("df.to_csv('s3://bucket/out.csv')", "network", "s3://bucket/out.csv"),
    # code the check cannot read
    ("exec(code)", "unreadable", "exec"),
    ("x = eval('1 + 1')", "unreadable", "eval"),
    ("c = compile(src, 'f', 'exec')", "unreadable", "compile"),
    ("m = __import__(name)", "unreadable", "__import__"),
    ("import importlib\nm = importlib.import_module(name)", "unreadable", "importlib.import_module"),
    ("globals()['x'] = 1", "unreadable", "globals()"),
    ("globals().update(values)", "unreadable", "globals().update"),
    ("get_ipython().user_ns['x'] = 1", "unreadable", "namespace"),
    ("get_ipython().run_cell('x = 1')", "unreadable", "run_cell"),
    ("get_ipython().push({'x': 1})", "unreadable", "push"),
    ("%run other.py", "unreadable", "%run other.py"),
    ("%load other.py", "unreadable", "%load other.py"),
    ("%%perl\nprint 1;\n", "unreadable", "%%perl"),
    ("%%ruby\nputs 1\n", "unreadable", "%%ruby"),
    ("%%python3\nprint(1)\n", "unreadable", "%%python3"),
    ("%%javascript\nalert(1)\n", "unreadable", "%%javascript"),
    ("%%html\n<script>alert(1)</script>\n", "unreadable", "%%html"),
    ("%%sql\nselect 1\n", "unreadable", "%%sql"),
    ("from some_unloaded_module_xyz import *", "unreadable", "cannot see"),
    ("%pylab inline", "unreadable", "cannot see"),
])
def test_each_flagged_form_has_its_kind_and_names_what_was_flagged(code, kind, named):
    risk = only(code)
    assert risk.kind == kind
    assert named in risk.detail


@pytest.mark.parametrize("code", [
    "df.groupby('region').sales.sum()",
    "import numpy as np\nx = np.arange(10)",
    "import pandas as pd\ntotals = pd.Series([1, 2]).cumsum()",
    "print('hello')",
    "print('see https://example.com')",
    "from urllib.parse import urljoin\nurljoin('https://example.com', 'x')",
    "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()",
    "df['x'] = df['a'] * 2",
    "df.drop(columns='x', inplace=True)",
    "orders.append(3)",
    "def f(x):\n    return x * 2\ny = f(3)",
    "class Model:\n    pass",
    "text = open('data.txt').read()",
    "with open('data.txt', 'rb') as f:\n    data = f.read()",
    "sales = pd.read_csv('sales.csv')",
    "from pathlib import Path\ntext = Path('data.txt').read_text()",
    "csv_text = df.to_csv()",
    "j = df.to_json(orient='records')",
    "html = df.to_html()",
    "s = df.to_string(index=False)",
    "import io\nbuf = io.BytesIO()\nfig.savefig(buf, format='png')",
    "fig.savefig(io.BytesIO())",
    "import webbrowser\nurl = 'x'",
    "%matplotlib inline",
    "%pip list",
    "%pip show polars",
    "%conda list",
    "%timeit sum(range(10))",
    "%%time\ntotal = sum(range(10))\n",
    "%%capture out\nprint(1)\n",
    "%%markdown\n# Title\n",
    "%%html\n<b>bold</b>\n",
    "%%latex\n$x$\n",
    "%reset out",
    "import re\npattern = re.compile('a+')",
    "total = df.eval('a + b')",
    "import os\nfiles = os.listdir('.')\nhere = os.path.join('a', 'b')",
    "import urllib\nimport urllib.parse",
    "x = [i for i in range(3)]",
])
def test_pure_computation_is_not_flagged(code):
    assert assess(code, user_names={"df", "orders", "fig"}) == []


@pytest.mark.parametrize("code", ["x = (", "def f(:\n    pass", "!ls\n  x = 1\n y = 2",
                                  "import os\nos.remove('a')\nx = ("])
def test_code_that_does_not_parse_gets_no_risks(code):
    assert assess(code, user_names={"x"}) == []


def test_a_call_inside_a_function_or_nested_block_is_flagged():
    code = "import os\ndef clean(p):\n    if p:\n        os.remove(p)\nclean('a.csv')"
    assert only(code) == Risk("file_delete", "deletes a file: os.remove(p)")
    assert kinds("for p in ps:\n    try:\n        os.unlink(p)\n    except OSError:\n        pass") == ["file_delete"]
    assert kinds("class A:\n    def run(self):\n        return [os.system(c) for c in cmds]") == ["shell"]


@pytest.mark.parametrize("code", [
    "f = os.remove\nf('a.csv')",  # another name for the function
    "getattr(os, 'system')('ls')",
    "__import__('os').system('ls')",
    "import helpers\nhelpers.clean_up()",  # what an imported function does inside
    "model.save('model.bin')",
])
def test_what_the_check_documents_it_cannot_see(code):
    assert assess(code) == []


def test_the_python_bodies_of_timing_and_capture_magics_are_read():
    assert only("%time os.remove('a.csv')").kind == "file_delete"
    assert only("%%time\nimport subprocess as sp\nsp.run(['ls'])\n").detail.startswith("runs a command: subprocess.run")
    assert only("%%capture out\n!pip install polars\n").kind == "install"
    assert only("%timeit open('x', 'w')").kind == "file_write"


def test_names_imported_in_an_earlier_cell_are_resolved_through_the_namespace():
    namespace = {"sp": subprocess, "system": os.system, "o": os}
    assert only("sp.run(['ls'])", namespace=namespace).detail == "runs a command: subprocess.run(['ls'])"
    assert only("system('ls')", namespace=namespace).detail == "runs a command: os.system('ls')"
    assert only("o.remove('x')", namespace=namespace).kind == "file_delete"
    assert assess("sp.run(['ls'])") == []  # without the namespace `sp` is not known
    assert only("os.system('ls')").kind == "shell"  # the module's own name needs no import in the step
    # a user object with a module's name is not that module
    assert assess("requests.append(1)", namespace={"requests": []}) == []


def test_pip_tokens_in_a_non_install_command_stay_a_shell_escape():
    assert only("!pip show polars") == Risk("shell", "shell escape `!pip show polars`")
    assert only("!pip list").kind == "shell"
    assert assess("%pip list") == [] and assess("%pip freeze") == []


# -- writers of results: only an existing target, or one known only at run time ------------------------------------
@pytest.fixture
def folder(tmp_path):
    (tmp_path / "sales.csv").write_text("region,total\nN,1\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "old.parquet").write_bytes(b"x")
    (tmp_path / "arr.npy").write_bytes(b"x")
    return tmp_path


@pytest.mark.parametrize("code", [
    "df.to_csv('sales.csv')",
    "df.to_csv('sales.csv', index=False)",
    "df.to_csv(path_or_buf='sales.csv')",
    "df.to_csv(f'sales.csv')",
    "from pathlib import Path\ndf.to_csv(Path('sales.csv'))",
    "import pathlib\ndf.to_parquet(pathlib.Path('data', 'old.parquet'))",
    "from pathlib import Path\ndf.to_parquet(Path('data') / 'old.parquet')",
    "import os\ndf.to_parquet(os.path.join('data', 'old.parquet'))",
    "df.to_parquet(path='data/old.parquet')",
    "df.to_excel(excel_writer='sales.csv')",
    "out = 'sales.csv'\ndf.to_csv(out)",
    "df.to_csv(target)",
    "df.to_csv(target_path)",
    "df.to_json(DATA / 'sales.csv')",
    "plt.savefig('sales.csv')",
    "fig.savefig(fname='sales.csv')",
    "import numpy as np\nnp.save('arr.npy', x)",
    "import numpy as np\nnp.save('arr', x)",
    "np.savetxt(fname='sales.csv', X=x)",
    "import polars as pl\ndf.write_csv('sales.csv')",
])
def test_a_writer_over_an_existing_file_is_flagged(folder, code):
    namespace = {"target": "sales.csv", "target_path": folder / "sales.csv", "DATA": Path(".")}
    risk = only(code, namespace=namespace, cwd=folder)
    assert risk.kind == "file_write"
    assert risk.detail.startswith("overwrites an existing file: ")


@pytest.mark.parametrize("code", [
    "df.to_csv('results.csv')",
    "df.to_csv('data/new.csv', index=False)",
    "from pathlib import Path\ndf.to_csv(Path('data') / 'new.csv')",
    "df.to_csv(fresh)",
    "df.to_csv(fresh_path)",
    "out = 'results.csv'\ndf.to_csv(out)",
    "plt.savefig('figure.png')",
    "import numpy as np\nnp.save('fresh', x)",
    "import numpy as np\nnp.savez('arr.npy', x=x)",  # numpy writes arr.npy.npz
    "df.to_csv(buffer)",
    "df.to_csv(io.StringIO())",
])
def test_a_writer_to_a_new_file_or_a_buffer_is_not_flagged(folder, code):
    namespace = {"fresh": "new.csv", "fresh_path": folder / "data" / "new.csv", "buffer": io.StringIO()}
    assert assess(code, namespace=namespace, cwd=folder) == []


@pytest.mark.parametrize("code, shown", [
    ("df.to_csv(path_var)", "df.to_csv(path_var)"),
    ("df.to_csv(f'out_{i}.csv')", "df.to_csv(f'out_{i}.csv')"),
    ("df.to_parquet(cfg.path)", "df.to_parquet(cfg.path)"),
    ("df.to_csv(names[0])", "df.to_csv(names[0])"),
    ("for out in outs:\n    df.to_csv(out)", "df.to_csv(out)"),  # bound by the step: not the namespace's value
    ("def save(out):\n    df.to_csv(out)", "df.to_csv(out)"),
    ("out = 'a.csv'\nout = 'b.csv'\ndf.to_csv(out)", "df.to_csv(out)"),
    ("df.to_csv(counter)", "df.to_csv(counter)"),  # an int in the namespace is not a path
    ("import joblib\njoblib.dump(model, name)", "joblib.dump"),
])
def test_a_writer_whose_path_is_known_only_at_run_time_is_flagged(folder, code, shown):
    namespace = {"out": "new.csv", "counter": 3}
    risk = only(code, namespace=namespace, cwd=folder)
    assert risk.kind == "file_write"
    assert risk.detail.startswith("writes a file whose path is known only at run time: ")
    assert shown in risk.detail


def test_open_for_writing_is_always_flagged_and_says_when_it_overwrites(folder):
    assert only("open('sales.csv', 'w')", cwd=folder).detail == "overwrites an existing file: open('sales.csv', 'w')"
    assert only("open('fresh.csv', 'w')", cwd=folder).detail == "writes a file: open('fresh.csv', 'w')"
    assert only("open('sales.csv', 'a')", cwd=folder).detail == "writes a file: open('sales.csv', 'a')"


def test_relative_paths_are_taken_from_the_current_directory_by_default(folder, monkeypatch):
    monkeypatch.chdir(folder)
    assert kinds("df.to_csv('sales.csv')") == ["file_write"]
    assert kinds("df.to_csv('other.csv')") == []


# -- the user's names ------------------------------------------------------------------------------------------------
USERS = {"df", "orders", "model", "pd", "np", "helper"}


@pytest.mark.parametrize("code, name", [
    ("df = df.dropna()", "df"),
    ("orders += 1", "orders"),
    ("model: int = 3", "model"),
    ("import polars as df", "df"),
    ("from math import sqrt as helper", "helper"),
    ("def helper():\n    pass", "helper"),
    ("class model:\n    pass", "model"),
    ("for df in frames:\n    pass", "df"),
    ("with open('x') as orders:\n    pass", "orders"),
    ("if (df := load()) is not None:\n    pass", "df"),
    ("try:\n    pass\nexcept Exception as model:\n    pass", "model"),
    ("def f():\n    global orders\n    orders = []", "orders"),
    ("if True:\n    df = 1", "df"),
])
def test_rebinding_a_user_variable_is_flagged(code, name):
    assert Risk("rebind", f"rebinds your variable `{name}`") in assess(code, user_names=USERS)


@pytest.mark.parametrize("code", [
    "result = df.dropna()",
    "df['x'] = 1",
    "df.x = 2",
    "orders.append(1)",
    "df.drop(columns='x', inplace=True)",
    "def f():\n    df = 1\n    return df",
    "total = sum(x for x in orders)",
    "_ = df.head()",
    "In = 3\n_5 = 1\n_i5 = ''",
])
def test_new_names_in_place_changes_and_local_names_are_not_rebindings(code):
    assert assess(code, user_names=USERS | {"_", "In", "_5", "_i5"}) == []


def test_importing_what_the_name_already_holds_is_not_a_rebinding():
    import numpy
    import pandas
    namespace = {"pd": pandas, "np": numpy, "df": object()}
    assert assess("import pandas as pd\nimport numpy as np", user_names=USERS, namespace=namespace) == []
    assert assess("from os import path", user_names={"path"}, namespace={"path": os.path}) == []
    # a different module under the same name is a rebinding; so is an import without a namespace to compare
    assert kinds("import some_unloaded_module_xyz as pd", user_names=USERS, namespace={"pd": pandas}) == ["rebind"]
    assert kinds("import numpy as pd", user_names=USERS, namespace=namespace) == ["rebind"]
    assert kinds("import pandas as pd", user_names=USERS) == ["rebind"]
    assert kinds("import pandas as pd\npd = 3", user_names=USERS, namespace=namespace) == ["rebind"]


@pytest.mark.parametrize("code, names", [
    ("del orders", ["orders"]),
    ("del df, orders", ["df", "orders"]),
    ("del (df, orders)", ["df", "orders"]),
    ("if True:\n    del df", ["df"]),
    ("%xdel orders", ["orders"]),
])
def test_deleting_a_user_variable_is_flagged(code, names):
    assert assess(code, user_names=USERS) == [Risk("delete_name", f"deletes your variable `{n}`") for n in names]


def test_deleting_new_names_items_or_locals_is_not_flagged():
    assert assess("tmp = 1\ndel tmp", user_names=USERS) == []
    assert assess("del df['x']\ndel orders[0]", user_names=USERS) == []
    assert assess("def f():\n    df = 1\n    del df", user_names=USERS) == []


@pytest.mark.parametrize("code", ["%reset -f", "%reset", "%reset -f array", "%reset_selective -f ^tmp"])
def test_resetting_the_namespace_is_flagged(code):
    assert kinds(code, user_names=USERS) == ["delete_name"]


# -- order, duplicates, describe() -----------------------------------------------------------------------------------
def test_risks_come_in_source_order_without_duplicates():
    code = "import os\n!ls\ndf = 1\nos.remove('a')\nos.remove('a')\nopen('b', 'w')"
    assert assess(code, user_names={"df"}) == [
        Risk("shell", "shell escape `!ls`"),
        Risk("rebind", "rebinds your variable `df`"),
        Risk("file_delete", "deletes a file: os.remove('a')"),
        Risk("file_write", "writes a file: open('b', 'w')"),
    ]


def test_a_network_module_is_flagged_once_naming_its_first_call():
    code = "import requests\nr = requests.get('https://a')\nrequests.post('https://b')\nimport socket"
    assert assess(code) == [Risk("network", "network client: requests.get('https://a')"),
                            Risk("network", "network client: import socket")]
    assert assess("import requests") == [Risk("network", "network client: import requests")]
    assert assess("import requests\nimport requests.adapters") == [
        Risk("network", "network client: import requests")]


def test_a_long_call_is_cut_in_the_detail():
    risk = only("import subprocess\nsubprocess.run(['" + "a" * 100 + "', 'b'])")
    assert risk.detail.endswith("…") and len(risk.detail) < 100


def test_describe_joins_details_in_order_without_duplicates():
    risks = assess("!ls\ndf = 1", user_names={"df"})
    assert describe(risks) == "shell escape `!ls`; rebinds your variable `df`"
    assert describe(risks + risks[:1]) == "shell escape `!ls`; rebinds your variable `df`"
    assert describe([]) == ""


def test_describe_cuts_a_long_line():
    risks = [Risk("rebind", f"rebinds your variable `name_{i}`") for i in range(30)]
    line = describe(risks)
    assert len(line) <= 200 and line.endswith("…")
    assert line.startswith("rebinds your variable `name_0`; rebinds your variable `name_1`")
    assert len(describe(risks, limit=50)) <= 50


def test_a_risk_is_frozen_and_converts_to_json():
    risk = Risk("shell", "shell escape `!ls`")
    assert risk.to_json() == {"kind": "shell", "detail": "shell escape `!ls`"}
    assert json.loads(json.dumps(risk.to_json())) == risk.to_json()
    with pytest.raises(AttributeError):
        risk.kind = "network"
    with pytest.raises(ValueError):
        Risk("dangerous", "x")
    assert set(KINDS) == {"shell", "install", "file_write", "file_delete", "network", "rebind", "delete_name",
                          "unreadable", "no_undo"}


def test_the_namespace_is_only_read():
    namespace = {"target": "sales.csv", "df": object()}
    before = dict(namespace)
    assess("df.to_csv(target)\ndf = 1", user_names={"df"}, namespace=namespace)
    assert namespace == before
