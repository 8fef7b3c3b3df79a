# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract tests: what an inference gateway in front of the Ollama stand-in relies on.

Generation slots (OLLAMA_NUM_PARALLEL), the bounded line of requests waiting for one (OLLAMA_MAX_QUEUE, then 503 with
Ollama's exact "server busy" body), slots held for a whole answer and given back when the client hangs up, answers
that take a set time (OLLAMA_STANDIN_TOKENS x OLLAMA_STANDIN_TOKEN_DELAY_MS), the node name in a response header and
in the request log, and scripted answers for clients that offer no tools (aider). Every test starts the stand-in as
a subprocess and proves the behaviour by what a client sees.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time

import pytest

SMALL = "qwen2.5-coder:0.5b"
OTHER = "qwen2.5-coder:1.5b"
BUSY_BODY = b'{"error":"server busy, please try again.  maximum pending requests exceeded"}'
BUSY_MESSAGE = "server busy, please try again.  maximum pending requests exceeded"
# 40 chunks x 50 ms: every answer takes 2 s, streamed or not.
TWO_SECONDS = {"OLLAMA_STANDIN_TOKENS": "40", "OLLAMA_STANDIN_TOKEN_DELAY_MS": "50"}
# 1000 chunks x 20 ms: an answer that outlasts the test unless its client hangs up.
TWENTY_SECONDS = {"OLLAMA_STANDIN_TOKENS": "1000", "OLLAMA_STANDIN_TOKEN_DELAY_MS": "20"}


def _chat(model=SMALL, **extra):
    return {"model": model, "messages": [{"role": "user", "content": "write hello world"}], "stream": False, **extra}


# One request per generating route (path, body) for SMALL, each answered in one piece.
GENERATING = [
    ("/api/chat", _chat()),
    ("/api/generate", {"model": SMALL, "prompt": "hi", "stream": False}),
    ("/api/embed", {"model": SMALL, "input": "hi"}),
    ("/api/embeddings", {"model": SMALL, "prompt": "hi"}),
    ("/v1/chat/completions", _chat()),
    ("/v1/completions", {"model": SMALL, "prompt": "hi"}),
    ("/v1/embeddings", {"model": SMALL, "input": "hi"}),
]


class Answer:
    """One HTTP answer as a client saw it."""

    def __init__(self, status, headers, body, seconds):
        self.status, self.headers, self.body, self.seconds = status, headers, body, seconds

    def json(self):
        return json.loads(self.body)


def post(srv, path, body, timeout=60):
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    try:
        conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        return Answer(resp.status, resp.headers, data, time.monotonic() - started)
    finally:
        conn.close()


def get(srv, path):
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        data = resp.read()
        return Answer(resp.status, resp.headers, data, time.monotonic() - started)
    finally:
        conn.close()


class Held:
    """A streamed answer read up to its first chunk: its request holds a slot until close() hangs up.

    A request that ended a moment ago may still hold its slot after its client has read the answer (the slot is
    given back when the handler returns, as upstream's request context ends after the response is written): a 503
    is tried again for up to `settle` seconds.
    """

    def __init__(self, srv, path="/api/chat", body=None, settle=5):
        deadline = time.monotonic() + settle
        while True:
            self.conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
            self.conn.request("POST", path, body=json.dumps({**(body or _chat()), "stream": True}), headers={"Content-Type": "application/json"})
            self.resp = self.conn.getresponse()
            if self.resp.status != 503 or time.monotonic() >= deadline:
                break
            self.close()
            time.sleep(0.05)
        assert self.resp.status == 200, self.resp.read()
        assert self.resp.readline().strip(), "the first chunk came"

    def close(self):
        self.resp.close()
        self.conn.close()


class Waiting:
    """A request sent on a raw socket and not read: it waits in line (or is answered) while the test goes on."""

    def __init__(self, srv, body=None):
        payload = json.dumps(body or _chat()).encode()
        self.sock = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        head = f"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        self.sock.sendall(head.encode() + payload)

    def status_within(self, seconds):
        """The status of the answer if one starts within `seconds`, else None."""
        self.sock.settimeout(seconds)
        try:
            head = self.sock.recv(64)
        except TimeoutError:
            return None
        return int(head.split()[1]) if head.startswith(b"HTTP/1.1 ") else None

    def close(self):
        self.sock.close()


def concurrently(calls):
    """Run the calls at the same moment in threads; their results in call order."""
    results = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, call), daemon=True) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout}s: {what}")


def log_for(srv, path, status=None):
    return [r for r in srv.requests() if r["path"] == path and (status is None or r["status"] == status)]


@pytest.fixture
def node(make_server):
    """node(models=(SMALL,), **env) -> a started stand-in with those models pulled."""

    def start(models=(SMALL,), **env):
        srv = make_server(env=env)
        for name in models:
            pulled = post(srv, "/api/pull", {"model": name, "stream": False})
            assert pulled.status == 200, pulled.body
        return srv

    return start


# --------------------------------------------------------------------------------------------------------------------
# Slots and the line (OLLAMA_NUM_PARALLEL, OLLAMA_MAX_QUEUE)


def test_busy_node_answers_one_queues_one_and_refuses_the_third(node):
    srv = node(OLLAMA_NUM_PARALLEL="1", OLLAMA_MAX_QUEUE="1", **TWO_SECONDS)
    answers = concurrently([lambda: post(srv, "/api/chat", _chat())] * 3)
    assert sorted(a.status for a in answers) == [200, 200, 503]
    (refused,) = [a for a in answers if a.status == 503]
    assert refused.body == BUSY_BODY, "Ollama's ErrMaxQueue, two spaces after 'again.'"
    assert refused.headers["Content-Type"].split(";")[0] == "application/json"
    assert refused.seconds < 1.5, "refused at once, not after waiting"
    first, second = sorted((a for a in answers if a.status == 200), key=lambda a: a.seconds)
    assert first.seconds >= 1.9 and second.seconds >= first.seconds + 1.5, "one slot: the second answer waited for the first"
    assert all("You said: write hello world" in a.json()["message"]["content"] for a in (first, second))
    logged = log_for(srv, "/api/chat")
    assert sorted(r["status"] for r in logged) == [200, 200, 503]
    assert sorted(r["queued_ms"] for r in logged if r["status"] == 200)[0] == 0
    assert sorted(r["queued_ms"] for r in logged if r["status"] == 200)[1] >= 1000
    assert [r["queued_ms"] for r in logged if r["status"] == 503] == [0]


def test_full_line_is_refused_on_every_generating_route_and_the_rest_still_answers(node):
    srv = node(OLLAMA_NUM_PARALLEL="1", OLLAMA_MAX_QUEUE="0", **TWENTY_SECONDS)
    held = Held(srv)
    try:
        for path, body in GENERATING:
            answer = post(srv, path, body)
            assert answer.status == 503, (path, answer.body)
            assert answer.seconds < 1.5, path
            assert answer.headers["Content-Type"].split(";")[0] == "application/json"
            if path.startswith("/v1/"):  # upstream's OpenAI middleware wraps the error message
                assert answer.json() == {"error": {"message": BUSY_MESSAGE, "type": "api_error", "param": None, "code": None}}, path
            else:
                assert answer.body == BUSY_BODY, path
        # the server is threaded: what needs no slot is answered while the slot is taken
        for path in ("/", "/api/tags", "/api/version", "/api/ps", "/v1/models"):
            answer = get(srv, path)
            assert answer.status == 200 and answer.seconds < 1.5, path
        assert post(srv, "/api/show", {"model": SMALL}).status == 200
    finally:
        held.close()
    assert sorted(r["path"] for r in srv.requests() if r["status"] == 503) == sorted(p for p, _b in GENERATING)


def test_client_hanging_up_mid_stream_gives_the_slot_back(node):
    srv = node(OLLAMA_NUM_PARALLEL="1", OLLAMA_MAX_QUEUE="0", **TWENTY_SECONDS)
    for path in ("/api/chat", "/v1/chat/completions", "/api/generate"):
        body = {"model": SMALL, "prompt": "hi"} if path == "/api/generate" else _chat()
        held = Held(srv, path, body)
        assert post(srv, "/api/embed", {"model": SMALL, "input": "x"}).status == 503, "the stream holds the slot"
        hung_up = time.monotonic()
        held.close()
        until(lambda: post(srv, "/api/embed", {"model": SMALL, "input": "x"}).status == 200, 5, f"slot free after hanging up on {path}")
        assert time.monotonic() - hung_up < 5, "long before the 20 s answer would have ended"
    # an answer in one piece is given up too when its client hangs up (Go cancels the request's context)

    def unstreamed_holding():
        # the last probe's slot may be given back a moment after its answer was read (see Held): until then the
        # unstreamed request is refused at once, and is sent again
        probe = Waiting(srv)
        if probe.status_within(0.5) is None:
            return probe
        probe.close()
        return None

    waiting = until(unstreamed_holding, 5, "the unstreamed request takes the free slot and is not answered yet")
    assert post(srv, "/api/embed", {"model": SMALL, "input": "x"}).status == 503, "the unstreamed answer holds the slot"
    waiting.close()
    until(lambda: post(srv, "/api/embed", {"model": SMALL, "input": "x"}).status == 200, 5, "slot free after hanging up on an unstreamed answer")


def test_client_hanging_up_while_waiting_leaves_the_line(node):
    srv = node(OLLAMA_NUM_PARALLEL="1", OLLAMA_MAX_QUEUE="1", **TWENTY_SECONDS)
    quick = _chat(options={"num_predict": 2})  # 2 tokens: answered at once when its turn comes

    def queued():
        probe = Waiting(srv, quick)
        if probe.status_within(0.5) is None:
            return probe
        probe.close()
        return None

    held = Held(srv)
    try:
        first, second = Waiting(srv, quick), Waiting(srv, quick)  # one place in line: one waits, one is refused
        if first.status_within(2) == 503:
            first, second = second, first
        else:
            assert second.status_within(2) == 503
        waiting = first
        waiting.close()
        later = until(queued, 5, "the place is free again: a new request waits instead of being refused")
        refused = Waiting(srv, quick)
        assert refused.status_within(2) == 503, "and it holds that place"
    finally:
        held.close()
    assert later.status_within(15) == 200, "served once the slot is free"
    later.close()
    assert [r["status"] for r in log_for(srv, "/api/chat")].count(None) == 1, "the request that hung up is logged without a status"


def test_models_have_their_own_slots_and_num_parallel_counts_per_model(node):
    srv = node(models=(SMALL, OTHER), OLLAMA_NUM_PARALLEL="2", OLLAMA_MAX_QUEUE="0", **TWENTY_SECONDS)
    digests = {m["name"]: m["digest"] for m in json.loads(get(srv, "/api/tags").body)["models"]}
    assert digests[SMALL] != digests[OTHER], "two different models, not two names of one"
    held = [Held(srv), Held(srv)]
    try:
        assert post(srv, "/api/chat", _chat()).status == 503, "two slots of SMALL taken"
        held.append(Held(srv, "/api/chat", _chat(OTHER)))
        held.append(Held(srv, "/v1/chat/completions", _chat(OTHER)))
        assert post(srv, "/api/chat", _chat(OTHER)).status == 503, "two slots of OTHER taken"
    finally:
        for h in held:
            h.close()


@pytest.mark.parametrize("num_parallel", ["0", "", "two"])
def test_num_parallel_unset_zero_or_invalid_is_one_slot(node, num_parallel):
    env = {"OLLAMA_MAX_QUEUE": "0", **TWENTY_SECONDS}
    if num_parallel:
        env["OLLAMA_NUM_PARALLEL"] = num_parallel
    srv = node(**env)
    held = Held(srv)
    try:
        assert post(srv, "/api/chat", _chat()).status == 503
    finally:
        held.close()
    if num_parallel == "two":
        assert 'msg="invalid environment variable, using default" key=OLLAMA_NUM_PARALLEL value=two default=1' in srv.log()


def test_max_queue_defaults_to_512(node):
    srv = node(OLLAMA_NUM_PARALLEL="1", OLLAMA_STANDIN_TOKENS="20", OLLAMA_STANDIN_TOKEN_DELAY_MS="50")
    answers = concurrently([lambda: post(srv, "/api/generate", {"model": SMALL, "prompt": "hi", "stream": False})] * 6)
    assert [a.status for a in answers] == [200] * 6, "six requests, one slot, nobody refused"
    assert max(a.seconds for a in answers) >= 5 * 1.0, "they took their turns"


# --------------------------------------------------------------------------------------------------------------------
# Generation time (OLLAMA_STANDIN_TOKENS x OLLAMA_STANDIN_TOKEN_DELAY_MS)


def _stream_chunks(srv, path, body):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        started = time.monotonic()
        conn.request("POST", path, body=json.dumps({**body, "stream": True}), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 200
        lines = [line.strip() for line in resp.read().decode().splitlines() if line.strip()]
        return lines, time.monotonic() - started
    finally:
        conn.close()


def test_tokens_set_chunk_count_and_delay_sets_time_streamed_or_not(node):
    srv = node(OLLAMA_STANDIN_TOKENS="40", OLLAMA_STANDIN_TOKEN_DELAY_MS="10")  # 0.4 s an answer
    native, took = _stream_chunks(srv, "/api/chat", _chat())
    parts = [json.loads(line) for line in native]
    assert len([p for p in parts if not p["done"]]) == 40 and parts[-1]["eval_count"] == 40 and took >= 0.38
    openai, took = _stream_chunks(srv, "/v1/chat/completions", _chat())
    deltas = [json.loads(line[len("data: ") :]) for line in openai if line != "data: [DONE]"]
    assert len([d for d in deltas if d["choices"][0]["delta"].get("content")]) == 40 and took >= 0.38
    for path, body, text in (
        ("/api/chat", _chat(), lambda r: r["message"]["content"]),
        ("/api/generate", {"model": SMALL, "prompt": "hi", "stream": False}, lambda r: r["response"]),
        ("/v1/chat/completions", _chat(), lambda r: r["choices"][0]["message"]["content"]),
        ("/v1/completions", {"model": SMALL, "prompt": "hi"}, lambda r: r["choices"][0]["text"]),
    ):
        answer = post(srv, path, body)
        assert answer.status == 200 and answer.seconds >= 0.38, path
        assert len(text(answer.json()).split()) == 40, path  # one word a token
    assert post(srv, "/api/generate", {"model": SMALL, "prompt": "hi", "stream": False}).json()["eval_count"] == 40


def test_fewer_tokens_than_the_reply_has_split_the_same_text(node, make_server):
    plain = node()
    few = node(OLLAMA_STANDIN_TOKENS="3")
    body = {"model": SMALL, "prompt": "hi", "stream": False}
    assert post(few, "/api/generate", body).json()["response"] == post(plain, "/api/generate", body).json()["response"]
    lines, _took = _stream_chunks(few, "/api/generate", body)
    assert len(lines) == 4 and json.loads(lines[-1])["done"] is True
    many = node(OLLAMA_STANDIN_TOKENS="60")
    answer = post(many, "/api/generate", {**body, "format": "json"}).json()
    assert answer["eval_count"] == 60 and set(json.loads(answer["response"])) == {"model", "echo", "answer"}, "format json stays valid JSON"


# --------------------------------------------------------------------------------------------------------------------
# The node name (OLLAMA_STANDIN_NODE) and the request log


def test_node_name_is_a_header_on_every_answer_and_in_every_log_line(node, make_server):
    srv = node(OLLAMA_STANDIN_NODE="gpu-node-2")
    answers = [get(srv, "/"), get(srv, "/nope"), post(srv, "/api/chat", _chat()), post(srv, "/api/show", {"model": "ghost"})]
    assert [a.status for a in answers] == [200, 404, 200, 404]
    assert all(a.headers["X-Standin-Node"] == "gpu-node-2" for a in answers)
    _lines, _took = _stream_chunks(srv, "/v1/chat/completions", _chat())
    logged = srv.requests()
    assert all(r["node"] == "gpu-node-2" and isinstance(r["queued_ms"], int) for r in logged)
    assert [(r["method"], r["path"], r["status"]) for r in logged] == [
        ("POST", "/api/pull", 200),
        ("GET", "/", 200),
        ("GET", "/nope", 404),
        ("POST", "/api/chat", 200),
        ("POST", "/api/show", 404),
        ("POST", "/v1/chat/completions", 200),
    ]
    default = make_server(name="default-node")
    assert get(default, "/").headers["X-Standin-Node"] == socket.gethostname()
    assert default.requests()[0]["node"] == socket.gethostname()


# --------------------------------------------------------------------------------------------------------------------
# Scripted answers for clients without tools ("require_tools": false)

AIDER_REPLY = "hello.py\n```python\nprint('hello')\n```\n"


@pytest.fixture
def scripted_node(node, tmp_path):
    path = tmp_path / "script.json"

    def write(obj):
        tmp = path.with_suffix(".tmp")
        tmp.write_text(obj if isinstance(obj, str) else json.dumps(obj))
        os.replace(tmp, path)

    srv = node(OLLAMA_STANDIN_SCRIPT=str(path))
    srv.script = write
    return srv


def test_require_tools_false_scripts_requests_without_tools(scripted_node):
    srv = scripted_node
    srv.script({"require_tools": False, "turns": [{"content": AIDER_REPLY}, {"content": "Done."}]})
    answer = post(srv, "/v1/chat/completions", _chat())
    assert answer.status == 200 and answer.json()["choices"][0]["message"]["content"] == AIDER_REPLY
    lines, _took = _stream_chunks(srv, "/v1/chat/completions", _chat())
    deltas = [json.loads(line[len("data: ") :])["choices"] for line in lines if line != "data: [DONE]"]
    assert "".join(c[0]["delta"].get("content") or "" for c in deltas if c) == AIDER_REPLY
    follow_up = _chat(messages=[{"role": "user", "content": "x"}, {"role": "assistant", "content": AIDER_REPLY}, {"role": "user", "content": "y"}])
    assert post(srv, "/v1/chat/completions", follow_up).json()["choices"][0]["message"]["content"] == "Done.", "turn = assistant messages"
    assert [r["turn"] for r in log_for(srv, "/v1/chat/completions")] == [0, 0, 1]
    native = post(srv, "/api/chat", _chat()).json()["message"]["content"]
    assert "You said:" in native, "only /v1/chat/completions is scripted"


def test_without_require_tools_false_requests_without_tools_get_generated_text(scripted_node):
    srv = scripted_node
    for script in ({"turns": [{"content": AIDER_REPLY}]}, {"require_tools": True, "turns": [{"content": AIDER_REPLY}]}, "{broken"):
        srv.script(script)
        answer = post(srv, "/v1/chat/completions", _chat())
        assert answer.status == 200 and "You said: write hello world" in answer.json()["choices"][0]["message"]["content"], script


def test_require_tools_false_with_a_tool_call_turn_and_no_tools_is_400(scripted_node):
    srv = scripted_node
    srv.script({"require_tools": False, "turns": [{"tool_calls": [{"name": "terminal", "arguments": {"command": "ls"}}]}]})
    answer = post(srv, "/v1/chat/completions", _chat())
    assert answer.status == 400
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error" and "'terminal'" in error["message"] and error["message"].endswith("offered tools: none")


def test_require_tools_must_be_a_boolean(scripted_node):
    srv = scripted_node
    srv.script({"require_tools": "no", "turns": [{"content": "x"}]})
    tools = [{"type": "function", "function": {"name": "terminal", "parameters": {"type": "object", "properties": {}}}}]
    answer = post(srv, "/v1/chat/completions", _chat(tools=tools))
    assert answer.status == 500 and '"require_tools" must be true or false' in answer.json()["error"]["message"]
