# SPDX-License-Identifier: GPL-3.0-or-later
"""Test bed only: drive the gateway with the official OpenAI Python client, as an IDE agent would; print JSON.

Run by molecule/inference_gateway/verify.yml on the controller with the clients' venv (requirements-clients.txt),
sitecustomize.py of this directory on PYTHONPATH (llm.example.test -> the gateway) and SSL_CERT_FILE = Pebble's root.
Environment: GATEWAY_BASE_URL (https://llm.example.test/v1), GATEWAY_KEY, GATEWAY_LOW_KEY (a key with a low rate),
GATEWAY_LOW_RATE (its requests per minute), GATEWAY_MODEL (a model to chat with). It judges nothing: verify asserts on
the JSON (each check's outcome: status, content, the error body).
"""

from __future__ import annotations

import json
import os

import httpx
import openai

BASE = os.environ['GATEWAY_BASE_URL']
MODEL = os.environ['GATEWAY_MODEL']
MESSAGES = [{'role': 'user', 'content': 'Say hello to the gateway.'}]


def client(key):
    # max_retries=0: the client would otherwise retry a 429 or a 5xx on its own and hide the gateway's answer.
    return openai.OpenAI(base_url=BASE, api_key=key, max_retries=0, timeout=60)


def failure(exc):
    body = getattr(exc, 'body', None)
    return {'status': getattr(exc, 'status_code', None), 'type': type(exc).__name__, 'body': body,
            'message': str(exc)[:400]}


def main():
    out = {}
    good = client(os.environ['GATEWAY_KEY'])

    answer = good.chat.completions.create(model=MODEL, messages=MESSAGES)
    out['chat'] = {'content': answer.choices[0].message.content, 'finish_reason': answer.choices[0].finish_reason,
                   'model': answer.model}

    pieces = []
    finish = None
    for chunk in good.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True):
        if chunk.choices:
            if chunk.choices[0].delta.content:
                pieces.append(chunk.choices[0].delta.content)
            finish = chunk.choices[0].finish_reason or finish
    out['stream'] = {'chunks': len(pieces), 'text': ''.join(pieces), 'finish_reason': finish}

    out['models'] = sorted(m.id for m in good.models.list())

    try:
        good.chat.completions.create(model='no-such-model:13b', messages=MESSAGES)
        out['unknown_model'] = {'status': 200}
    except openai.APIStatusError as exc:
        out['unknown_model'] = failure(exc)

    # No Authorization header at all: the OpenAI client always sends one, so ask with httpx (the client's transport).
    raw = httpx.post(BASE + '/chat/completions', json={'model': MODEL, 'messages': MESSAGES}, timeout=30)
    out['no_key'] = {'status': raw.status_code, 'body': raw.text[:400], 'www_authenticate': raw.headers.get('www-authenticate')}

    try:
        client('testbed-wrong-key-' + 'x' * 32).chat.completions.create(model=MODEL, messages=MESSAGES)
        out['wrong_key'] = {'status': 200}
    except openai.APIStatusError as exc:
        out['wrong_key'] = failure(exc)

    # The low-rate key: twice its per-minute rate in a row; the requests past the rate must be answered 429.
    low = client(os.environ['GATEWAY_LOW_KEY'])
    statuses = []
    first_429 = None
    for _attempt in range(2 * int(os.environ['GATEWAY_LOW_RATE']) + 2):
        try:
            low.chat.completions.create(model=MODEL, messages=MESSAGES)
            statuses.append(200)
        except openai.APIStatusError as exc:
            statuses.append(exc.status_code)
            if exc.status_code == 429 and first_429 is None:
                first_429 = dict(failure(exc), retry_after=exc.response.headers.get('retry-after'))
    out['low_key'] = {'statuses': statuses, 'first_429': first_429}
    print(json.dumps(out, sort_keys=True))


if __name__ == '__main__':
    main()
