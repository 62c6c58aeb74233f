"""Pre-translation on a Ray cluster: a pool of workers, each holding one loaded engine.

Only the model moves. This process (the driver) reads every catalog, plans what needs MT and
builds each request exactly as a run in one process does (glossary terms and, for engines that
read context, the earlier sentences: see l10n.pretranslate); it ships batches to the workers and
applies their answers itself: verification, MT records, fuzzy flags, atomic writes under each
catalog's lock. Workers never see a PO file. With the same model and options, a distributed run
writes the same catalogs, byte for byte, as a run in one process.

Ray is imported here only, and only when a run asks for it (`pip install -e '.[ray]'`).

Where (`address`, as `ray.init` takes it): None for Ray's own discovery (RAY_ADDRESS, else a
cluster started on this machine with `ray start`, else a new local one); "auto" for an existing
cluster, which must be there; "local" for a new cluster inside this process; HOST:PORT for a
cluster's head node, or ray://HOST[:PORT] through Ray Client. A program that has already called
`ray.init` keeps its connection. An explicit address is probed first, so an unreachable cluster is
one clear error within seconds (ray.init itself retries for minutes). The driver ships the
toolkit's own code to the workers (runtime_env `py_modules`), so they run the driver's version;
the engine's packages (transformers, ctranslate2, …) and the model must be on every worker node.

Workers: one per GPU of the cluster (each with num_gpus=1) where there are GPUs and the device is
not `cpu`, else one per `threads` CPUs (1 CPU each when threads is 0); `workers` sets the number.

Faults are handled by Ray: workers are actors with `max_restarts`, and their calls have
`max_task_retries`, so a worker that dies (killed, out of memory, node lost) is restarted (its
engine loaded again) and the calls it had are run again there. Only a worker that is gone for
good (restarts used up, or killed for good) gives its calls back to the driver, which hands them
to the other workers. Either way each batch's result is applied once.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from .errors import Advice, ChangeOption, L10nError, ModelUnavailable, TranslationAborted
from .pretranslate import Arrivals
from .repair import translate_checked

PACKAGE_DIR = Path(__file__).resolve().parent
IN_FLIGHT_PER_WORKER = 2  # one call running and one queued behind it: a worker never waits for the driver
BATCHES_PER_CALL = 4  # batches per remote call: fewer round trips; each batch is still translated alone
MAX_RESTARTS = 3
MAX_TASK_RETRIES = 3
PROBE_TIMEOUT_S = 5.0
WAIT_SLICE_S = 0.5  # the driver blocks in Ray this long at most, so Ctrl-C and SIGTERM are handled promptly
DEFAULT_CLIENT_PORT = 10001

INSTALL_RAY = (Advice("install the ray extra: pip install -e '.[ray]'"),)
_ADDRESS = re.compile(r"^(ray://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?$")


def address_problem(value: str) -> str | None:
    """What is wrong with a Ray address, or None: "auto", "local", HOST:PORT, ray://HOST[:PORT]."""
    if value in ("auto", "local"):
        return None
    m = _ADDRESS.match(value)
    if not m:
        return 'not a Ray address; use "auto", "local", HOST:PORT, or ray://HOST[:PORT] for Ray Client'
    if not m.group(1) and not m.group(3):
        return "give the port of the cluster's head node (HOST:PORT, e.g. HOST:6379)"
    if m.group(3) and not 0 < int(m.group(3)) < 65536:
        return f"port {m.group(3)} is out of range"
    return None


@dataclass(frozen=True)
class RaySettings:
    address: str | None = None  # see the module's docstring
    workers: int = 0  # 0: one per GPU, else one per `threads` CPUs


def import_ray():
    try:
        import ray
    except ImportError:
        raise L10nError("running on Ray needs the optional package ray", remedy=INSTALL_RAY) from None
    return ray


def _address_to_probe(address: str | None) -> str | None:
    if address == "local":
        return None
    if address is None or address == "auto":
        env = os.environ.get("RAY_ADDRESS", "").strip()
        if not env or env in ("auto", "local"):
            return None
        problem = address_problem(env)
        if problem:
            raise L10nError(f"RAY_ADDRESS={env!r}: {problem}")
        return env
    return address


def _probe(address: str) -> None:
    """Fail within seconds on a cluster that cannot be reached (ray.init would retry for minutes)."""
    m = _ADDRESS.match(address)
    host = m.group(2).strip("[]")
    port = int(m.group(3) or DEFAULT_CLIENT_PORT)
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S):
            pass
    except OSError as err:
        reason = err.strerror or type(err).__name__
        if isinstance(err, socket.timeout):
            reason = f"no answer within {PROBE_TIMEOUT_S:.0f} s"
        raise L10nError(f"cannot reach the Ray cluster at {address} ({reason})", remedy=(
            Advice("start it with `ray start --head` on its head node, or check the address"),)) from None


def connect(settings: RaySettings) -> bool:
    """Connect this process to Ray (see the module's docstring); True if this call did, so the
    caller shuts it down again, False if the program was already connected."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    target = _address_to_probe(settings.address)
    if target:
        _probe(target)
    try:
        ray.init(address=settings.address, runtime_env={"py_modules": [str(PACKAGE_DIR)]},
                 logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        where = settings.address or "the default address"
        raise L10nError(f"cannot connect to the Ray cluster at {where} ({first})", remedy=(
            Advice("start one with `ray start --head`, set RAY_ADDRESS, or give its address"),)) from None
    return True


def _on_this_node(options):
    """The options as a worker uses them: conversions are cached in the project's cache folder
    where the worker can see it (a local cluster, a shared file system), else on the node."""
    cache = Path(options.cache_dir)
    if cache.is_dir() or cache.parent.is_dir():
        return options
    return replace(options, cache_dir=os.path.join(tempfile.gettempdir(), "l10n-cache"))


class EngineWorker:
    """The body of one Ray actor: one engine, loaded when the actor starts (again after a
    restart). Errors the toolkit knows (a model that cannot be loaded, generation that failed)
    come back as values, so the driver reports them as it would in one process."""

    def __init__(self, load: Callable, name: str, options):
        self.engine = None
        self.repair_rounds = options.repair_rounds  # MT QA and repair run here, beside the engine
        self.error: L10nError | None = None
        try:
            self.engine = load(name, _on_this_node(options))
        except L10nError as err:
            self.error = err

    def describe(self) -> dict:
        if self.error is not None:
            return {"error": self.error}
        engine = self.engine
        return {"label": engine.label, "uses_context": bool(engine.uses_context), "model_id": engine.model_id,
                "pid": os.getpid(), "node": socket.gethostname()}

    def translate(self, batches: list) -> dict:
        if self.error is not None:
            return {"error": self.error, "calls": 0, "pid": os.getpid()}
        before = self.engine.calls
        try:
            outputs = [translate_checked(self.engine, requests, self.repair_rounds) for requests in batches]
        except L10nError as err:
            return {"error": err, "calls": self.engine.calls - before, "pid": os.getpid()}
        return {"outputs": outputs, "calls": self.engine.calls - before, "pid": os.getpid()}


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:200]


class RayExecutor:
    """Batches translated by a pool of Ray actors (the executor protocol of l10n.pretranslate)."""

    def __init__(self, settings: RaySettings, load: Callable, engine: str, options,
                 on_load: Callable[[str, str], None] | None = None, batches_per_call: int = BATCHES_PER_CALL):
        self.settings = settings
        self.batches_per_call = batches_per_call
        self.calls = 0
        self.workers = ""
        self._load = load
        self._engine = engine
        self._options = options
        self._on_load = on_load
        self._ray = None
        self._owned = False
        self._actors: list = []
        self._live: set[int] = set()
        self._busy: dict[int, int] = {}
        self._in_flight: dict = {}  # ObjectRef → (worker index, batches)
        self._pids: dict[int, set[int]] = {}
        self._where = ""

    @property
    def capacity(self) -> int:
        return IN_FLIGHT_PER_WORKER * len(self._live)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    @property
    def restarts(self) -> int:
        return sum(len(p) - 1 for p in self._pids.values() if p)

    def _layout(self, ray) -> tuple[int, dict, object]:
        resources = ray.cluster_resources()
        cpus, gpus = int(resources.get("CPU", 0)), int(resources.get("GPU", 0))
        threads = self._options.threads or 1
        if gpus and self._options.device != "cpu":
            limit, actor, what = gpus, {"num_gpus": 1, "num_cpus": 1}, f"{gpus} GPUs"
        else:
            limit, actor, what = cpus // threads, {"num_cpus": threads}, f"{cpus} CPUs"
        count = self.settings.workers or limit
        if limit < 1 or count > limit:
            need = f"{count} workers of {threads} CPUs" if "num_gpus" not in actor else f"{count} workers of one GPU"
            raise L10nError(f"the Ray cluster has {what}: not enough for {need}",
                            remedy=(ChangeOption(("ray_workers", "threads"), verb="lower"),))
        self._where = f"{count} Ray worker{'s' if count != 1 else ''}, " + (
            "one GPU each" if "num_gpus" in actor else f"{threads} CPU{'s' if threads != 1 else ''} each")
        return count, actor, replace(self._options, threads=threads)

    def start(self) -> tuple[str, bool]:
        if self._on_load is not None:
            self._on_load(self._engine, self._options.model)
        self._owned = connect(self.settings)
        ray = self._ray = import_ray()
        count, actor_options, options = self._layout(ray)
        worker = ray.remote(EngineWorker).options(max_restarts=MAX_RESTARTS, max_task_retries=MAX_TASK_RETRIES,
                                                   **actor_options)
        self._actors = [worker.remote(self._load, self._engine, options) for _ in range(count)]
        self._live = set(range(count))
        self._busy = {i: 0 for i in range(count)}
        try:
            descriptions = self._get([a.describe.remote() for a in self._actors])
        except ray.exceptions.RayError as err:
            raise ModelUnavailable(f"a Ray worker could not load the {self._engine} engine ({_first_line(err)})",
                                   self._options.model) from None
        for found in descriptions:
            if "error" in found:
                raise found["error"]
        kinds = {(d["label"], d["uses_context"]) for d in descriptions}
        if len(kinds) > 1:
            raise ModelUnavailable(f"the Ray workers loaded different engines ({', '.join(sorted(k[0] for k in kinds))})",
                                   self._options.model)
        for i, found in enumerate(descriptions):
            self._pids[i] = {found["pid"]}
        nodes = len({d["node"] for d in descriptions})
        self._where += f", on {nodes} node{'s' if nodes != 1 else ''}"
        self.workers = self._where
        return kinds.pop()

    def _get(self, refs: list) -> list:
        ray = self._ray
        waiting = list(refs)
        while waiting:
            _, waiting = ray.wait(waiting, num_returns=len(waiting), timeout=WAIT_SLICE_S)
        return ray.get(refs)

    def submit(self, batches: list) -> None:
        index = min(self._live, key=lambda i: (self._busy[i], i))
        ref = self._actors[index].translate.remote([b.requests for b in batches])
        self._in_flight[ref] = (index, batches)
        self._busy[index] += 1

    def wait(self) -> Arrivals:
        ray = self._ray
        refs = list(self._in_flight)
        ready: list = []
        while not ready:
            ready, _ = ray.wait(refs, num_returns=1, timeout=WAIT_SLICE_S)
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)  # with everything else that is done
        arrivals = Arrivals([], [])
        for ref in ready:
            index, batches = self._in_flight.pop(ref)
            self._busy[index] -= 1
            try:
                answer = ray.get(ref)
            except ray.exceptions.RayActorError:
                # Ray's restarts and retries are used up, or the worker was killed for good: its
                # batches go to the others; their results have not been applied anywhere.
                self._live.discard(index)
                arrivals.failed += batches
                continue
            except ray.exceptions.RayError as err:
                arrivals.error = arrivals.error or TranslationAborted(f"a Ray worker failed ({_first_line(err)})",
                                                                      self._options.model)
                continue
            self.calls += answer.get("calls", 0)
            self._pids.setdefault(index, set()).add(answer["pid"])
            if "error" in answer:
                arrivals.error = arrivals.error or answer["error"]
                continue
            arrivals.done += list(zip(batches, answer["outputs"]))
        if not self._live and arrivals.error is None:
            arrivals.error = TranslationAborted(
                f"every Ray worker died ({len(self._actors)} started, each restarted up to {MAX_RESTARTS} times)",
                self._options.model, remedy=(Advice("check the workers' logs (out of memory?) and run again"),))
        return arrivals

    def close(self) -> None:
        ray = self._ray
        if ray is None:
            return
        if self.restarts:
            self.workers = f"{self._where}; {self.restarts} restart{'s' if self.restarts != 1 else ''}"
        for actor in self._actors:
            try:
                ray.kill(actor)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self._actors, self._in_flight = [], {}
        if self._owned:
            ray.shutdown()
            self._owned = False
