"""Every setting of codeact-magic, as traitlets with defaults and help.

Set them for the session with ``%config CodeActMagics.max_steps = 10`` (or ``CodeActConfig``), for every session in
``ipython_config.py`` (``c.CodeActMagics.model = "..."``); override the common ones for one run with the options of
``%%codeact``.
"""

from __future__ import annotations

import dataclasses

from typing import Any

from traitlets import Bool, Dict, Enum, Float, Int, List, Unicode
from traitlets.config import LoggingConfigurable

__all__ = ["CodeActConfig", "RunOptions", "DEFAULT_MODEL", "default"]

#: The default model id. The API decides which ids exist (the SDK's ``anthropic.types.Model`` is a literal union *or*
#: any string, and its list changes in minor releases), so the tests check only that it has a row in ``pricing.PRICES``.
DEFAULT_MODEL = "claude-sonnet-5-5"


class CodeActConfig(LoggingConfigurable):
    """The settings of a ``%%codeact`` run (traitlets, all ``config=True``).

    Each default is declared here once: :class:`RunOptions`, :class:`~codeact_magic.records.Run` and the help of
    the magic's options read it with :func:`default`. ``self.log`` is the application's logger (the kernel's), so
    ``%config Application.log_level = "DEBUG"`` shows the errors that are deliberately not raised.
    """

    model = Unicode(DEFAULT_MODEL, help="Claude model id used for runs (Messages API `model`).").tag(config=True)
    max_steps = Int(20, min=1, help="Most code steps (tool_use blocks executed) in one run.").tag(config=True)
    timeout = Float(
        180.0, min=0.0, help="Seconds one code step may run before it is interrupted; 0 means no limit."
    ).tag(config=True)
    max_tokens = Int(8192, min=1, help="`max_tokens` of each model turn (output tokens).").tag(config=True)
    max_run_tokens = Int(
        0, min=0, help="Budget of tokens (input, cache and output, summed) for one run; 0 means no limit."
    ).tag(config=True)
    max_cost_usd = Float(0.0, min=0.0, help="Budget in USD for one run; 0 means no limit.").tag(config=True)
    observation_max_chars = Int(
        10_000, min=200, help="Characters of a step's output sent back to the model; longer output keeps a head and a tail."
    ).tag(config=True)
    context_max_chars = Int(
        6_000, min=200, help="Characters of the kernel-variable summary sent with the task."
    ).tag(config=True)
    context_time_budget = Float(
        0.1, min=0.0, help="Seconds the kernel-variable summary may take; names left are counted, not described."
    ).tag(config=True)
    insert_mode = Enum(
        ["replace", "append", "none"],
        "replace",
        help="How the JupyterLab extension inserts a run's cells when the same %%codeact cell runs again: "
        "'replace' the earlier run's cells, 'append' after them, or 'none' (no cells inserted).",
    ).tag(config=True)
    max_retries = Int(2, min=0, help="Retries of the anthropic SDK for 408/409/429/5xx and connection errors.").tag(
        config=True
    )
    request_timeout = Float(
        600.0, min=1.0, help="Seconds the anthropic SDK may take to send one request and to get a connection from its "
        "pool; waiting for the answer is bounded by read_timeout."
    ).tag(config=True)
    read_timeout = Float(
        40.0, min=1.0, help="Seconds without a byte from the API before a request fails: waiting for the answer, or "
        "between two bytes of its stream. The SDK retries a silent request max_retries times, so a silent connection "
        "fails after about (max_retries + 1) * read_timeout seconds (about 2 minutes with the defaults). The stream "
        "sends ping events while the model works, so a live answer is never this quiet."
    ).tag(config=True)
    prices = Dict(
        help="USD per million tokens by model id, overriding the built-in table: "
        "{'model': {'input': 2.0, 'output': 10.0, 'cache_write': 2.5, 'cache_read': 0.2}}."
    ).tag(config=True)
    instructions = Unicode("", help="Extra instructions appended to the system prompt.").tag(config=True)
    display = Enum(
        ["auto", "rich", "text"],
        "auto",
        help="How the %%codeact cell shows a run: 'rich' (display updates, Markdown), 'text' (plain text, for "
        "terminals), or 'auto' (rich in a kernel, text in terminal IPython).",
    ).tag(config=True)
    widgets = Bool(
        True, help="Use an ipywidgets progress bar for the status line when the JupyterLab extension is connected."
    ).tag(config=True)
    journal_dir = Unicode(
        ".codeact/runs",
        help="Directory of the run journal: each run's record is written there as the run goes (one <run_id>.jsonl "
        "file per run, secrets redacted), so it survives a kernel that dies; `%codeact runs` lists them. A relative "
        "path is taken from the kernel's working directory when a run starts (and when `%codeact runs` or "
        "`%codeact export` reads it); '~' is expanded; the directory is created when missing; an empty string "
        "turns the journal off.",
    ).tag(config=True)

    # -- control: approval, isolation, files (README "Control") -------------------------------------------------------
    approve = Enum(
        ["always", "risky", "never"],
        "never",
        help="Ask before each step runs, through the kernel's stdin (an input box under the cell): 'always', "
        "'risky' (only steps the AST check of codeact_magic.risks flags: shell, installs, file writes and deletes, "
        "network, rebinding your variables) or 'never'. Answers: y, n [reason], a (all the rest), q (stop).",
    ).tag(config=True)
    isolated = Bool(
        False, help="Run the steps in a separate, confined ipykernel (its own working directory "
        ".codeact/sandbox/<run id>/, resource limits, no network), never in this kernel."
    ).tag(config=True)
    allow_network = Bool(
        False, help="Let an isolated kernel keep the network (without it, a new network namespace cuts it off)."
    ).tag(config=True)
    sandbox_cpu_s = Int(
        1800, min=0, help="CPU seconds an isolated kernel process may use in all (RLIMIT_CPU); past it the kernel "
        "ends and is recreated. 0 for no limit."
    ).tag(config=True)
    sandbox_memory_bytes = Int(
        4 * 2**30, min=0, help="Bytes of address space of an isolated kernel process (RLIMIT_AS, default 4 GiB); an "
        "allocation past it raises MemoryError. 0 for no limit."
    ).tag(config=True)
    sandbox_file_bytes = Int(
        2**30, min=0, help="Bytes of the largest file an isolated kernel may write (RLIMIT_FSIZE, default 1 GiB). "
        "0 for no limit."
    ).tag(config=True)
    sandbox_processes = Int(
        1024, min=0, help="Processes and threads of the user an isolated kernel may reach (RLIMIT_NPROC; Linux "
        "counts them over the whole user and exempts root). 0 for no limit."
    ).tag(config=True)
    sandbox_health_timeout = Float(
        10.0, min=0.1, help="Seconds an isolated kernel has to answer before each step; else it is recreated."
    ).tag(config=True)
    sandbox_interrupt_grace = Float(
        5.0, min=0.1, help="Seconds an interrupted step of an isolated kernel has to end before the kernel is "
        "restarted (and its state restored by re-running the run's earlier successful steps)."
    ).tag(config=True)
    sandbox_return_modules = List(
        Unicode(), list(("numpy", "pandas", "datetime", "collections", "decimal", "fractions", "uuid", "zoneinfo",
                         "pathlib", "copyreg")),
        help="Packages whose classes a --return value may hold: what the model's code left in the sandbox is "
        "unpickled here building only those classes and plain builtin types (never a function such as os.system). "
        "Add e.g. 'sklearn' to bring back a fitted model.",
    ).tag(config=True)
    gateway_url = Unicode(
        "", help="Run isolated kernels on this Jupyter Kernel Gateway or Enterprise Gateway (http://host:port) "
        "instead of this machine; its limits are the gateway's. Default: the JUPYTER_GATEWAY_URL environment variable."
    ).tag(config=True)
    files_max = Int(
        20_000, min=0, help="Files the scan of what a step created, modified or deleted looks at, at most; past it "
        "the scan is cut short and says so. 0 turns the scan off."
    ).tag(config=True)
    files_budget = Float(
        0.5, min=0.0, help="Seconds the scan of a step's files may take before it is cut short (and says so)."
    ).tag(config=True)

    # -- what the model can see, ask and reach (README "What the model sees") ----------------------------------------
    send_images = Bool(
        True, help="Send a step's image outputs (image/png, image/jpeg) back to the model as image content blocks in "
        "its tool_result, so it can check its own charts; the text description is sent either way. --no-images "
        "turns it off for one run."
    ).tag(config=True)
    image_max_px = Int(
        1568, min=16, help="Pixels of the long edge an image is downscaled to before it is sent to the model "
        "(Anthropic's vision docs: larger images are downscaled by the API anyway and cost more time)."
    ).tag(config=True)
    max_images_per_step = Int(2, min=0, help="Images of one step sent to the model, at most.").tag(config=True)
    max_images_per_run = Int(20, min=0, help="Images of one run sent to the model, at most.").tag(config=True)
    image_turns = Int(
        3, min=0, help="Model turns an image is sent for: in later requests it is replaced by its text description, "
        "so a long run does not pay for it again and again."
    ).tag(config=True)
    max_questions = Int(
        3, min=0, help="Questions the model may ask the user (the ask_user tool) in one run; past it the tool answers "
        "that the model should state its assumption and go on. 0 withholds the tool."
    ).tag(config=True)
    mcp_servers = Dict(
        help="MCP servers a run can reach as Python callables (%%codeact --mcp NAME), in the shape of Claude "
        "Desktop's and Claude Code's mcpServers: {'NAME': {'command': ..., 'args': [...], 'env': {...}}} for stdio, "
        "{'NAME': {'url': ...}} for streamable HTTP. A .mcp.json in the kernel's working directory is read too."
    ).tag(config=True)
    mcp_namespace = Unicode(
        "mcp", help="The variable that holds the connected MCP servers in the namespace: mcp.NAME.TOOL(**kwargs)."
    ).tag(config=True)
    provider = Enum(
        ["anthropic", "bedrock", "vertex"], "anthropic",
        help="Who serves Claude: 'anthropic' (the Messages API at base_url, or any server that speaks it: Ollama, "
        "llama.cpp, vLLM, LiteLLM), 'bedrock' (AnthropicBedrock, AWS credentials from the standard environment) or "
        "'vertex' (AnthropicVertex, Google Cloud credentials)."
    ).tag(config=True)
    base_url = Unicode(
        "", help="Base URL of the Messages API (default: ANTHROPIC_BASE_URL, else https://api.anthropic.com), e.g. "
        "http://localhost:11434 for Ollama."
    ).tag(config=True)
    undo_max_bytes = Int(
        2**30, min=0, help="Bytes the kernel may hold to undo runs (%codeact undo): the copies of objects a step "
        "changes in place and the pre-images of files it writes or deletes (in .codeact/undo/<run id>/), over all "
        "runs; the oldest runs' are released first. Default 1 GiB (1,073,741,824 bytes). What does not fit is marked "
        "'cannot be undone' before its step runs. 0 keeps no copies (rebound and new names can still be undone)."
    ).tag(config=True)
    auth_token = Unicode(
        "", help="A bearer token for the Messages API server (sent as Authorization: Bearer), for servers that "
        "want one instead of ANTHROPIC_API_KEY; default: ANTHROPIC_AUTH_TOKEN. Never stored in a record or export."
    ).tag(config=True)


def default(name: str) -> Any:
    """The default value of the trait ``name`` of :class:`CodeActConfig` (``default("max_steps")`` is 20).

    Raises
    ------
    KeyError
        If there is no such trait.
    """
    return CodeActConfig.class_traits()[name].default_value


def _field(name: str) -> Any:
    return dataclasses.field(default_factory=lambda: default(name))


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """The settings of one run: configuration overridden by the cell's options.

    Attributes
    ----------
    model : str
        Model id.

    Each default is the trait's (:func:`default`).

    max_steps : int
        Most steps.
    timeout : float
        Seconds per step, 0 for none.
    max_tokens : int
        Output tokens per model turn.
    max_run_tokens : int
        Token budget of the run, 0 for none.
    max_cost_usd : float
        USD budget of the run, 0 for none.
    observation_max_chars : int
        Characters of output fed back per step.
    insert_mode : str
        'replace', 'append' or 'none'.
    send_images : bool
        Send the steps' images to the model.
    image_max_px : int
        Long edge of an image sent, in pixels.
    max_images_per_step, max_images_per_run : int
        Images sent, at most.
    image_turns : int
        Model turns an image is sent for.
    max_questions : int
        ``ask_user`` questions per run; 0: the tool is not offered.
    """

    model: str = _field("model")
    max_steps: int = _field("max_steps")
    timeout: float = _field("timeout")
    max_tokens: int = _field("max_tokens")
    max_run_tokens: int = _field("max_run_tokens")
    max_cost_usd: float = _field("max_cost_usd")
    observation_max_chars: int = _field("observation_max_chars")
    insert_mode: str = _field("insert_mode")
    send_images: bool = _field("send_images")
    image_max_px: int = _field("image_max_px")
    max_images_per_step: int = _field("max_images_per_step")
    max_images_per_run: int = _field("max_images_per_run")
    image_turns: int = _field("image_turns")
    max_questions: int = _field("max_questions")

    @classmethod
    def from_config(cls, config: CodeActConfig, **overrides: object) -> "RunOptions":
        """Build options from ``config``, then apply the non-``None`` ``overrides``.

        Parameters
        ----------
        config : CodeActConfig
            The session's settings.
        **overrides
            Field values from the cell's options; ``None`` means "not given".

        Returns
        -------
        RunOptions
        """
        values = {f.name: getattr(config, f.name) for f in dataclasses.fields(cls)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
