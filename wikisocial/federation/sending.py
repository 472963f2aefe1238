"""Sending many deliveries at once. federation/delivery.py keeps each row's life (queueing,
claim, record, backoff, domain health, sweep); this module runs a worker process's POSTs
concurrently from one pool of threads, so a slow or hanging inbox holds one thread, not the
worker.

- `send_many` claims the due rows among some ids (`delivery.claim_many`: one atomic statement
  for the due rows, one for those whose lease expired), loads them with their signers, submits
  one POST per row to the pool, waits up to ``wait`` seconds and records the POSTs that ended
  by then (`delivery.record_many`: each only while its lease holds). The pool's threads touch
  the network and no database.
- POSTs still running when the wait ends go to one recorder thread, which records each as it
  ends (at the latest TIMEOUT later). If recording fails (the database restarted, say) it
  takes a fresh connection and tries again, RECORD_TRIES times; then it leaves the rows in
  *sending*, to be sent again once their lease expires.
- A caller claims only while fewer than MAX_IN_FLIGHT POSTs are unfinished, so a claimed row
  starts within one TIMEOUT and ends within two: inside the shortest lease allowed (3 ×
  TIMEOUT, config/env.py), so no live worker's row is taken by another.
- `shutdown(timeout)`, when a worker stops cleanly: nothing more is claimed, the POSTs in
  flight are waited for and recorded, the recorder is joined. Only a POST outliving
  ``timeout`` stays in *sending*. A killed worker leaves all its claimed rows in *sending*
  until their lease expires; the sweep then sends them again (at least once: receivers drop an
  activity id they already have).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Iterable
from concurrent import futures
from dataclasses import dataclass
from datetime import datetime

from django.db import DatabaseError, close_old_connections, connections, router
from django.utils import timezone

from wikisocial.federation import delivery
from wikisocial.federation.delivery import Answer, Claimed
from wikisocial.federation.models import Delivery

# The same logger as delivery.py: one name for everything about outbound delivery.
logger = logging.getLogger("wikisocial.federation.delivery")

# Concurrent POSTs per worker process. The threads mostly wait on sockets (an idle one costs
# memory, ~100 KB resident, not CPU): a share of hanging inboxes holds a thread each for TIMEOUT,
# and with 128 of them 7% hanging inboxes alone kept a worker near 200 deliveries/s.
THREADS = 512
# Claim more only below this many unfinished POSTs: with a batch (TASK_BATCH) or two on top,
# fewer than THREADS are ahead of a new row, so it starts at once or within one TIMEOUT.
MAX_IN_FLIGHT = THREADS - delivery.TASK_BATCH
STRAGGLER_WAIT = 0.05  # a task waits this long for its POSTs; later ones are recorded behind it
RECORD_TRIES = 5  # attempts at recording a late POST before leaving it to its lease
RECORD_PAUSE = 2.0  # seconds between those attempts (the database may be restarting)
POLL = 1.0  # the recorder notices a stop within this many seconds
# Once a late POST ends, the recorder waits this long for others before recording them
# together: recording costs a few statements per round, and rounds of one or two rows (POSTs
# ending one by one) made up most of a worker's database work. Leases are far longer.
GATHER = 0.1


@dataclass(eq=False)
class _Sending:
    """One POST in the pool: the claimed row and the future of its Answer."""

    claimed: Claimed
    future: futures.Future
    failures: int = 0  # times recording it failed


class Sender:
    """A process's pool, recorder thread and their bookkeeping (one per process: `_sender`)."""

    def __init__(self, threads: int = THREADS, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self.threads = threads
        self.max_in_flight = max_in_flight
        self._lock = threading.Condition()  # guards what follows; notified on every change
        self._pool: futures.ThreadPoolExecutor | None = None
        self._late: set[_Sending] = set()  # POSTs their caller stopped waiting for
        self._recorder: threading.Thread | None = None
        self._in_flight = 0  # POSTs submitted and not finished
        self._callers = 0  # send() calls between claim and hand-over
        self._stopping = False
        self._stop = threading.Event()  # tells the recorder to stop

    # --- a batch ------------------------------------------------------------------------------

    def send(self, ids: Iterable[int], now: datetime | None, wait: float | None) -> dict[int, str]:
        """`send_many`: claim, load, submit, collect."""
        if not self._enter():
            return {}
        try:
            now = now or timezone.now()
            leases = delivery.claim_many(ids, now)
            ready, states = delivery.prepare(leases, now) if leases else ([], {})
            return states | self._collect(self._submit(ready), wait)
        finally:
            self._leave()

    def _enter(self) -> bool:
        """Wait for room (fewer than max_in_flight POSTs unfinished), then count the caller in;
        False once stopping."""
        with self._lock:
            self._lock.wait_for(lambda: self._stopping or self._in_flight < self.max_in_flight)
            if self._stopping:
                return False
            self._callers += 1
            return True

    def _leave(self) -> None:
        with self._lock:
            self._callers -= 1
            self._lock.notify_all()

    def _submit(self, ready: list[Claimed]) -> list[_Sending]:
        """One POST per row in the pool; rows the pool refuses (the interpreter is exiting) are
        given back as pending."""
        sending, refused = [], []
        for claimed in ready:
            future = self._start(claimed)
            if future is None:
                refused.append(claimed)
            else:
                sending.append(_Sending(claimed, future))
        if refused:
            delivery.release(refused)
        return sending

    def _start(self, claimed: Claimed) -> futures.Future | None:
        with self._lock:
            self._in_flight += 1
        try:
            pool = self._executor()
            future = pool.submit(delivery.post, claimed.row, claimed.now, claimed.signer)
        except RuntimeError:  # "cannot schedule new futures after (interpreter) shutdown"
            self._finished(None)
            return None
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: futures.Future | None) -> None:
        with self._lock:
            self._in_flight -= 1
            self._lock.notify_all()

    def _executor(self) -> futures.ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = futures.ThreadPoolExecutor(self.threads, thread_name_prefix="delivery")
                # A process that exits without calling shutdown() still records its POSTs.
                atexit.register(self.shutdown, delivery.TIMEOUT + 1)
            return self._pool

    def _collect(self, sending: list[_Sending], wait: float | None) -> dict[int, str]:
        """Record the POSTs that end within ``wait`` seconds (None: all of them) here; hand the
        others to the recorder. If recording fails here, the recorder tries again."""
        if not sending:
            return {}
        done, _ = futures.wait([s.future for s in sending], timeout=wait)
        self._hand_over([s for s in sending if s.future not in done])
        finished = [s for s in sending if s.future in done]
        try:
            return _record(finished)
        except DatabaseError:
            logger.warning("recording %d delivery(ies) failed; trying again", len(finished))
            self._hand_over(finished)
            return {}

    # --- the recorder thread ------------------------------------------------------------------

    def _hand_over(self, late: list[_Sending]) -> None:
        if not late:
            return
        with self._lock:
            self._late.update(late)
            if self._recorder is None and not self._stop.is_set():
                self._recorder = threading.Thread(
                    target=self._record_late, name="delivery-recorder", daemon=True
                )
                self._recorder.start()

    def _record_late(self) -> None:
        """The recorder: records late POSTs as they end; exits when none are left or the
        sender stops (shutdown() records the rest)."""
        try:
            while (pending := self._pending()) is not None:
                close_old_connections()  # one past CONN_MAX_AGE (or broken) is replaced
                done, _ = futures.wait(
                    [s.future for s in pending], timeout=POLL, return_when=futures.FIRST_COMPLETED
                )
                if done and len(done) < len(pending):
                    self._stop.wait(GATHER)
                self._record_round(self._take(s for s in pending if s.future.done()))
                _release_pooled_connection()
        finally:
            connections.close_all()  # this thread's connections only

    def _pending(self) -> list[_Sending] | None:
        """What the recorder waits for; None (and the recorder is gone) when it should exit."""
        with self._lock:
            if self._late and not self._stop.is_set():
                return list(self._late)
            self._recorder = None
            self._lock.notify_all()
            return None

    def _take(self, items: Iterable[_Sending]) -> list[_Sending]:
        """Those of ``items`` still waiting to be recorded, now owned by the caller."""
        with self._lock:
            mine = [item for item in items if item in self._late]
            self._late.difference_update(mine)
        return mine

    def _record_round(self, items: list[_Sending]) -> None:
        if not items:
            return
        try:
            _record(items)
        except Exception:
            logger.exception("recording %d late delivery(ies) failed", len(items))
            connections.close_all()  # this thread's: the next try starts on a fresh connection
            self._retry_later(items)

    def _retry_later(self, items: list[_Sending]) -> None:
        """Put ``items`` back for another try after a pause, up to RECORD_TRIES each; the
        others stay in *sending* and go out again when their lease expires."""
        for item in items:
            item.failures += 1
        again = [item for item in items if item.failures < RECORD_TRIES]
        if len(again) < len(items):
            logger.warning(
                "%d delivery(ies) could not be recorded; sent again when their lease expires",
                len(items) - len(again),
            )
        with self._lock:
            self._late.update(again)
        self._stop.wait(RECORD_PAUSE)

    # --- stopping -----------------------------------------------------------------------------

    def shutdown(self, timeout: float) -> int:
        """Claim nothing more, wait (up to ``timeout`` seconds in all) for the batches being
        claimed and the POSTs in flight, record them, stop the recorder. Returns how many POSTs
        were left unrecorded (still running, or the database failed): those rows stay in
        *sending* until their lease expires."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
            self._lock.wait_for(lambda: self._callers == 0, timeout=_left(deadline))
            late = list(self._late)
        futures.wait([s.future for s in late], timeout=_left(deadline))
        self._stop.set()
        recorder = self._recorder
        if recorder is not None and recorder is not threading.current_thread():
            recorder.join(_left(deadline))
        return self._record_rest()

    def _record_rest(self) -> int:
        with self._lock:
            finished = [s for s in self._late if s.future.done()]
        finished = self._take(finished)
        try:
            _record(finished)
        except Exception:
            logger.exception("recording %d delivery(ies) at stop failed", len(finished))
            with self._lock:
                self._late.update(finished)
        left = len(self._late)
        if left:
            logger.warning("stopping with %d delivery(ies) unrecorded; sent again later", left)
        if self._pool is not None:
            self._pool.shutdown(wait=False)
        return left


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def _record(items: list[_Sending]) -> dict[int, str]:
    answers: list[tuple[Claimed, Answer]] = [(s.claimed, s.future.result()) for s in items]
    return delivery.record_many(answers) if answers else {}


def _release_pooled_connection() -> None:
    """With a connection pool, give this thread's connection back between rounds: an idle
    recorder must not hold one of the few a worker may have."""
    connection = connections[router.db_for_write(Delivery)]
    if connection.settings_dict.get("OPTIONS", {}).get("pool"):
        connection.close()


_sender = Sender()


def send_many(
    ids: Iterable[int], now: datetime | None = None, *, wait: float | None = None
) -> dict[int, str]:
    """Claim the due rows among ``ids`` (two atomic statements for the batch) and POST them
    concurrently. Waits up to ``wait`` seconds (None: until all are done) and returns the
    states of the rows recorded by then; the others are recorded by the recorder thread when
    their POST ends (at the latest TIMEOUT later). Claims nothing once `shutdown` was called."""
    return _sender.send(ids, now, wait)


def shutdown(timeout: float) -> int:
    """A clean stop of this process's sending (the worker calls it when it stops): claim
    nothing more, wait up to ``timeout`` seconds for the POSTs in flight (in any thread: a
    task's, the periodic sweep's) and record them, and join the recorder thread. Returns how
    many stayed unrecorded (their rows go out again when their lease expires)."""
    return _sender.shutdown(timeout)
