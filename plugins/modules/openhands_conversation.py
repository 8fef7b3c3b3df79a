#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: openhands_conversation
short_description: Run one OpenHands conversation with a message and wait until the agent finishes
version_added: 0.1.0
description:
  - Starts a new conversation on an OpenHands 1.x app server through its REST API (C(POST /api/v1/app-conversations))
    with O(prompt) as the first user message, waits until its start task is C(READY) (a sandbox started and the
    agent got the message), then until the agent's execution status is C(finished).
  - Meant for smoke tests and the platform's health report (the "agent loop" row) - it proves that the app server,
    the sandbox runtime and the LLM behind the agent work together, and reports how long each part took.
  - Fails, naming what failed, when the start task ends in C(ERROR) (with the server's detail), when the
    conversation ends C(error) or C(stuck), when its sandbox goes to C(ERROR), or when O(timeout) passes (naming the
    last status seen).
  - Every option is checked before any request is sent, in check mode too; a refused value fails the task with a
    message naming the option, the value (never the O(api_key)) and the rule. A boolean is not taken as a number of
    seconds.
author:
  - selfhosted.ai_coding maintainers (!UNKNOWN)
attributes:
  check_mode:
    description: "In check mode nothing is sent; the module returns C(changed=false) and the message C(check mode: no conversation started)."
    support: full
  diff_mode:
    description: A conversation has no state to compare, so there is no diff.
    support: none
  idempotent:
    description: Every run starts a new conversation and reports C(changed=true).
    support: none
options:
  url:
    description:
      - Base URL of the OpenHands app server, V(http://host:port) or V(https://host:port), optionally with a path
        prefix when a reverse proxy serves it under one (a trailing V(/api/v1) is ignored).
      - A URL holding spaces or control characters, or a port outside 1-65535, is refused.
    type: str
    required: true
  prompt:
    description:
      - The first user message of the conversation, the task the agent works on. It must not be empty or only
        white space.
      - "(The option is not called C(message): Ansible reserves that argument name for itself.)"
      - Keep it small for a smoke test (for example V(Reply with the word done and finish.)).
      - Free text of at most 65536 characters; line breaks and tabs are kept, other control characters (NUL, CR,
        ESC, ...) are refused.
    type: str
    required: true
  timeout:
    description:
      - Seconds the whole run may take, from the request that starts the conversation to the agent's final status.
        Must be greater than V(0) and at most V(86400) (a day).
      - The first conversation after a restart also waits for a sandbox container to start; allow for that.
      - Each single request times out after at most 30 seconds.
    type: int
    default: 600
  poll_interval:
    description: Seconds between two status polls. Must be greater than V(0) and at most V(3600).
    type: float
    default: 2
  api_key:
    description:
      - The app server's C(SESSION_API_KEY), sent as the C(X-Session-API-Key) header. Only needed when the server
        runs with that variable set; the single-user OSS server needs none.
      - A secret; it is never logged or shown. A key holding a line break or another control character is refused
        (without showing it), so it can never add a header of its own.
    type: str
  validate_certs:
    description:
      - Verify the TLS certificate when O(url) is V(https://...).
      - Set to V(false) only for a self-signed certificate on a host you control.
    type: bool
    default: true
notes:
  - Each run leaves a conversation in the OpenHands conversation list (and its sandbox, until OpenHands pauses or
    reaps it); delete smoke-test conversations in the UI if they get in the way.
  - The agent must run unattended - with confirmation mode on, the conversation waits for a confirmation that never
    comes and the module times out naming C(waiting_for_confirmation).
seealso:
  - module: selfhosted.ai_coding.service_health
    description: Check that OpenHands and the other services of the platform answer.
  - name: OpenHands REST API
    description: The app server API this module uses (C(/api/v1/app-conversations)).
    link: https://docs.openhands.dev/
"""

EXAMPLES = r"""
- name: Smoke-test the agent loop (app server, sandbox and LLM together)
  selfhosted.ai_coding.openhands_conversation:
    url: http://127.0.0.1:3000
    prompt: Reply with the word done and finish.
    timeout: 900
  register: agent_loop

- name: Show how long it took
  ansible.builtin.debug:
    msg: "sandbox ready after {{ agent_loop.ready_s }} s, agent finished after {{ agent_loop.finished_s }} s"

- name: Against a server started with SESSION_API_KEY, behind TLS
  selfhosted.ai_coding.openhands_conversation:
    url: https://openhands.example.org
    prompt: List the files in the workspace, then finish.
    api_key: "{{ openhands_session_api_key }}"
    poll_interval: 5
"""

RETURN = r"""
msg:
  description: What happened, in words.
  returned: always
  type: str
  sample: "conversation 5bb1d5d0c6c94a0d8a3f0e7c3a1b2c4d finished in 41.2 s (ready after 12.7 s)"
conversation_id:
  description: The id of the conversation started (32 hex digits, as the API returns it).
  returned: when the start task reached READY
  type: str
  sample: 5bb1d5d0c6c94a0d8a3f0e7c3a1b2c4d
start_task_id:
  description: The id of the start task the first request returned.
  returned: when a conversation was started
  type: str
  sample: 0f6c7d2e9a8b4c3d2e1f0a9b8c7d6e5f
status:
  description: The conversation's final execution status; V(finished) on success.
  returned: when a conversation was started
  type: str
  sample: finished
ready_s:
  description: Seconds from the start request until the start task was C(READY) (the sandbox started and the agent got the message).
  returned: when the start task reached READY
  type: float
  sample: 12.731
finished_s:
  description: Seconds from the start request until the conversation reached its final execution status.
  returned: when the conversation reached a final status
  type: float
  sample: 41.218
sandbox_id:
  description: The id of the sandbox the conversation runs in, when the API reports it.
  returned: when the API reports it
  type: str
  sample: oh-agent-server-3Xb2kLmNpQ
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api import check_arg_types, raw_module_args, relaxed_spec

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._openhands_api import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_RUN_TIMEOUT,
    DEFAULT_TIMEOUT,
    OpenHandsClient,
    OpenHandsError,
    check_api_key,
    check_prompt,
)
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._api import check_timeout
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import InvalidValue, check_url

CHECK_MODE_MSG = 'check mode: no conversation started'
RESULT_KEYS = ('conversation_id', 'start_task_id', 'status', 'ready_s', 'finished_s', 'sandbox_id')
# Upper bounds in seconds: a day for the whole run, an hour between two polls.
MAX_RUN_TIMEOUT = 86400
MAX_POLL_INTERVAL = 3600


def validate_options(params):
    """Check every option's value before any request; the message names the option, the value (never the api_key) and
    the rule. (The shape of each value - a string, a number - was checked before AnsibleModule converted it.)"""
    check_url(params['url'], 'url')
    check_prompt(params['prompt'], 'prompt')
    for option, maximum in (('timeout', MAX_RUN_TIMEOUT), ('poll_interval', MAX_POLL_INTERVAL)):
        check_timeout(params[option], option, maximum=maximum)
    check_api_key(params.get('api_key'), 'api_key')


def argument_spec():
    return dict(
        url=dict(type='str', required=True),
        prompt=dict(type='str', required=True),
        timeout=dict(type='int', default=DEFAULT_RUN_TIMEOUT),
        poll_interval=dict(type='float', default=DEFAULT_POLL_INTERVAL),
        api_key=dict(type='str', no_log=True),
        validate_certs=dict(type='bool', default=True),
    )


def _pick(result):
    return dict((key, result[key]) for key in RESULT_KEYS if result.get(key) is not None)


def run(module, client=None):
    """Validate, then run the conversation; returns the module result (raises InvalidValue / OpenHandsError)."""
    params = module.params
    validate_options(params)
    if module.check_mode:
        return {'changed': False, 'msg': CHECK_MODE_MSG}
    if client is None:
        client = OpenHandsClient(params['url'], timeout=min(DEFAULT_TIMEOUT, params['timeout']), api_key=params['api_key'],
                                 validate_certs=params['validate_certs'])
    outcome = client.run_conversation(params['prompt'], timeout=params['timeout'], poll_interval=params['poll_interval'])
    result = _pick(outcome)
    result['changed'] = True
    result['msg'] = 'conversation %s finished in %.1f s (ready after %.1f s)' % (outcome['conversation_id'], outcome['finished_s'], outcome['ready_s'])
    return result


def main():
    # The shape of every value (a string, a number; a boolean is not a number of seconds) is checked as the task wrote it.
    problem = check_arg_types(raw_module_args(), argument_spec())
    module = AnsibleModule(argument_spec=relaxed_spec(argument_spec()) if problem else argument_spec(), supports_check_mode=True)
    if problem:
        module.fail_json(msg=problem)
    try:
        result = run(module)
    except InvalidValue as exc:
        module.fail_json(msg=str(exc))
    except OpenHandsError as exc:
        failed = _pick(exc.result)
        # A start request that got through created a conversation (or at least a start task) on the server.
        module.fail_json(msg=exc.msg, changed=bool(exc.result.get('start_task_id')), http_status=exc.status, **failed)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
