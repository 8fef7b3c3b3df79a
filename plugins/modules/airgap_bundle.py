#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: selfhosted.ai_coding contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: airgap_bundle
short_description: Build, verify and extract the offline bundle for air-gapped hosts
version_added: 0.1.0
description:
  - V(built) runs on a connected controller. It collects Ollama's release archives (checked against the release's
    C(sha256sum.txt)), models as Ollama stores them (manifests and blobs, each blob checked against the digest in its
    name), C(docker save) archives (their image id read from the archive, without Docker) and optional package files,
    writes C(deployment.json) and C(SHA256SUMS), and packs them into one archive C(ai-coding-bundle-<id>.tar) with a
    C(.sha256) file beside it.
  - The archive is a plain, uncompressed tar; model blobs are already compressed weights and do not shrink, so
    compression would only cost time on both ends. It is reproducible - members sorted, mode 0644, owner 0, every
    mtime set to O(created), no pax timestamps - so the same inputs give a byte-identical archive and the same digest.
  - V(verified) and V(extracted) run on the target, before anything changes there. The archive's SHA-256 is checked
    first (against O(expected_sha256) or C(<src>.sha256)); then every member is checked - no C(..), no absolute name,
    no device or FIFO, no link that resolves outside the bundle, nothing missing from C(SHA256SUMS) - and a truncated
    archive is refused. A C(deployment.json) that does not list O(arch) is refused.
  - Then every blob must hash to the digest in its name, every file to its line in C(SHA256SUMS), and every manifest's
    config and layers must be in the bundle with the size the manifest gives. V(verified) hashes the files inside the
    archive without extracting anything; V(extracted) unpacks into C(<dest>/<id>.partial), checks the unpacked files,
    writes a C(.verified) marker holding the archive's digest and only then renames it to C(<dest>/<id>).
  - Files are hashed in parallel (one thread per CPU, 4 MiB reads); a file is hashed at most once per run.
  - Every refusal names the file, member or blob and the rule it broke, and leaves the destination as it was.
author:
  - selfhosted.ai_coding maintainers (!UNKNOWN)
attributes:
  check_mode:
    description:
      - With V(built), everything is read and checked and the archive's digest is computed as it would be written,
        but nothing is written.
      - With V(extracted), the archive is verified as with V(verified) and nothing is written.
    support: full
  diff_mode:
    description: Not supported; the result lists what the bundle holds.
    support: none
  idempotent:
    description:
      - V(built) reports no change when dest already holds the same archive (same content, intact, matching its
        C(.sha256)).
      - V(extracted) reports no change when C(<dest>/<id>/.verified) holds the archive's expected digest; the
        archive is then not read again.
    support: full
options:
  state:
    description:
      - V(built) writes a bundle archive into O(dest) on the machine the task runs on (a connected controller).
      - V(verified) checks an archive without changing anything.
      - V(extracted) checks an archive and extracts it into C(<dest>/<bundle id>).
    type: str
    required: true
    choices: [built, verified, extracted]
  dest:
    description:
      - With V(built), the directory the archive and its C(.sha256) are written into (created when missing).
      - With V(extracted), the directory bundles are extracted into, for example C(/opt/ai-coding/bundles); each
        bundle goes into a directory named after its id, so earlier bundles stay for a rollback.
      - An absolute path without C(..).
    type: path
  models_dir:
    description:
      - V(built) only. The Ollama model store to take O(models) from (what C(OLLAMA_MODELS) points at, holding
        C(manifests/) and C(blobs/)).
    type: path
  models:
    description:
      - V(built) only. Models to bundle, C([host/][namespace/]model[:tag]) as for M(selfhosted.ai_coding.ollama_model);
        a missing host is C(registry.ollama.ai), a missing namespace C(library), a missing tag C(latest).
      - Each must be in O(models_dir) with every blob its manifest names.
    type: list
    elements: str
    default: []
  ollama_archives:
    description:
      - V(built) only. Ollama release archives (for example C(ollama-linux-amd64.tar.zst)), one per target
        architecture.
      - Each must be listed, with the same SHA-256, in O(ollama_sha256sum_file) or O(ollama_sha256sums).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path of the archive on the machine the task runs on.
        type: path
        required: true
      arch:
        description: The architecture it is for.
        type: str
        required: true
        choices: [amd64, arm64, x86_64, aarch64]
  ollama_sha256sum_file:
    description:
      - V(built) only. The release's C(sha256sum.txt) (sha256sum format); the lines for the bundled archives are
        bundled as C(ollama/sha256sum.txt).
    type: path
  ollama_sha256sums:
    description:
      - V(built) only. Published checksums given inline, C(file name -> SHA-256); added to O(ollama_sha256sum_file).
    type: dict
  ollama_version:
    description:
      - V(built) only. The Ollama version recorded in C(deployment.json).
      - When not given it is read from the archives' file names or their directory names (C(v0.33.1/...)); the task
        fails when it cannot be.
    type: str
  images:
    description:
      - V(built) only. Container images as C(docker save) archives. The image id (the SHA-256 of the image's config)
        is read from the archive's C(manifest.json) or OCI C(index.json), without Docker.
    type: list
    elements: dict
    default: []
    suboptions:
      image:
        description: The image reference the roles use, for example C(ollama/ollama:0.33.1).
        type: str
        required: true
      archive:
        description: Absolute path of the C(docker save) archive.
        type: path
        required: true
  packages:
    description:
      - V(built) only. Further files to bundle under C(packages/), for example C(.deb) files for the target release.
    type: list
    elements: path
    default: []
  architectures:
    description:
      - V(built) only. Architectures the bundle is for. Defaults to those of O(ollama_archives); each listed
        architecture needs an Ollama archive when O(ollama_archives) is given.
    type: list
    elements: str
  bundle_id:
    description:
      - V(built) only. The bundle's id (1-64 letters, digits, C(.), C(_) and C(-)). Defaults to the first 16 hex digits
        of the content digest, so the same content always has the same id.
    type: str
  created:
    description:
      - V(built) only. The bundle's creation time, ISO 8601 with a zone (V(2026-01-31T12:00:00Z)); also every
        member's mtime.
      - Give it for a reproducible archive. Without it C(SOURCE_DATE_EPOCH) is used when set, else the current time,
        and each run then builds a new bundle.
    type: str
  builder:
    description: V(built) only. Who or what built the bundle, recorded in C(deployment.json).
    type: str
  collection_version:
    description: V(built) only. The collection version recorded in C(deployment.json).
    type: str
  collection_commit:
    description: V(built) only. The collection commit recorded in C(deployment.json).
    type: str
  src:
    description: V(verified) and V(extracted). The bundle archive on the target.
    type: path
  expected_sha256:
    description:
      - V(verified) and V(extracted). The archive's SHA-256 (64 hex digits, optionally after C(sha256:)).
      - Defaults to the first word of C(<src>.sha256).
    type: str
  arch:
    description:
      - V(verified) and V(extracted). The target's architecture; V(x86_64) and V(aarch64) (what
        C(ansible_facts['architecture']) says) are taken as V(amd64) and V(arm64). A bundle whose C(deployment.json)
        does not list it is refused.
    type: str
  workers:
    description: Threads that hash files. Defaults to the number of CPUs.
    type: int
notes:
  - A refused bundle leaves O(dest) as it was; a C(<id>.partial) directory left by an interrupted run is removed and
    the extraction done again. Only a directory with the C(.verified) marker counts as extracted.
  - An existing C(<dest>/<id>) without the marker for this archive is never overwritten; the task fails naming it.
seealso:
  - module: selfhosted.ai_coding.ollama_model
    description: Reports the installed models and their manifest digests, which C(deployment.json) records.
  - name: Ollama model store layout
    description: Where Ollama keeps manifests and blobs.
    link: https://github.com/ollama/ollama/blob/main/docs/faq.mdx
"""

EXAMPLES = r"""
- name: Build the bundle on the controller
  selfhosted.ai_coding.airgap_bundle:
    state: built
    dest: /srv/bundles
    models_dir: /usr/share/ollama/.ollama/models
    models:
      - qwen2.5-coder:7b
    ollama_archives:
      - path: /srv/downloads/v0.33.1/ollama-linux-amd64.tar.zst
        arch: amd64
    ollama_sha256sum_file: /srv/downloads/v0.33.1/sha256sum.txt
    images:
      - image: docker.openhands.dev/openhands/openhands:1.4
        archive: /srv/downloads/openhands.tar
    created: "2026-01-31T12:00:00Z"
    collection_version: 0.1.0
  delegate_to: localhost
  run_once: true
  register: bundle

- name: Verify the archive on the target without changing anything
  selfhosted.ai_coding.airgap_bundle:
    state: verified
    src: /var/tmp/{{ bundle.archive | basename }}
    arch: "{{ ansible_facts['architecture'] }}"

- name: Extract it into the bundle directory
  selfhosted.ai_coding.airgap_bundle:
    state: extracted
    src: /var/tmp/{{ bundle.archive | basename }}
    expected_sha256: "{{ bundle.archive_sha256 }}"
    arch: "{{ ansible_facts['architecture'] }}"
    dest: /opt/ai-coding/bundles
"""

RETURN = r"""
state:
  description: The state the module ran for.
  returned: always
  type: str
  sample: extracted
bundle_id:
  description: The bundle's id.
  returned: success
  type: str
  sample: 3f2a9c41d07b5e88
archive:
  description: The archive written (V(built)) or checked (V(verified), V(extracted)).
  returned: success
  type: str
  sample: /srv/bundles/ai-coding-bundle-3f2a9c41d07b5e88.tar
archive_sha256:
  description: The archive's SHA-256 (predicted in check mode with V(built)).
  returned: success
  type: str
  sample: 9a1c3b2e8f7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170695e4d3
archive_size:
  description: The archive's size in bytes.
  returned: with V(built)
  type: int
  sample: 4683104256
checksum_file:
  description: The C(.sha256) file written beside the archive.
  returned: with V(built)
  type: str
  sample: /srv/bundles/ai-coding-bundle-3f2a9c41d07b5e88.tar.sha256
content_digest:
  description: SHA-256 over what the bundle holds (every file's digest and the recorded facts); the default id is its start.
  returned: with V(built)
  type: str
  sample: sha256:3f2a9c41d07b5e88a1c3b2e8f7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4
deployment:
  description:
    - The bundle's C(deployment.json) - schema_version, bundle_id, created, builder, collection (name, version,
      commit), architectures, ollama (version, archives), models (name, short, manifest, digest as C(ollama list)
      shows it, size, blobs with digest, size, media_type), images (image, file, id, repo_tags, sha256, size),
      packages, files (member -> SHA-256) and content_digest.
  returned: success
  type: dict
  sample:
    schema_version: 1
    bundle_id: 3f2a9c41d07b5e88
    architectures: [amd64]
path:
  description: The extracted bundle, C(<dest>/<bundle id>) (predicted in check mode).
  returned: with V(extracted)
  type: str
  sample: /opt/ai-coding/bundles/3f2a9c41d07b5e88
files:
  description: Files the bundle holds (in C(SHA256SUMS), plus C(SHA256SUMS) itself with V(built)); not returned when an extracted bundle was already there.
  returned: when the bundle was read
  type: int
  sample: 12
blobs:
  description: Model blobs in the bundle.
  returned: when the bundle was read
  type: int
  sample: 5
files_hashed:
  description: Files (or archive members) hashed by this run; each at most once.
  returned: success
  type: int
  sample: 14
bytes_hashed:
  description: Bytes hashed by this run.
  returned: success
  type: int
  sample: 9366208512
cache_hits:
  description: Hashes this run asked for again and took from its cache instead of reading the file twice.
  returned: success
  type: int
  sample: 0
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.selfhosted.ai_coding.plugins.module_utils._airgap import (
    BundleError,
    Hasher,
    build_bundle,
    verify_bundle,
)
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._ollama_api import (
    check_arg_types,
    raw_module_args,
)
from ansible_collections.selfhosted.ai_coding.plugins.module_utils._validate import InvalidValue

BUILD_ONLY = ('models_dir', 'models', 'ollama_archives', 'ollama_sha256sum_file', 'ollama_sha256sums', 'ollama_version',
              'images', 'packages', 'architectures', 'bundle_id', 'created', 'builder', 'collection_version',
              'collection_commit')
VERIFY_ONLY = ('src', 'expected_sha256', 'arch')


def argument_spec():
    return dict(
        state=dict(type='str', required=True, choices=['built', 'verified', 'extracted']),
        dest=dict(type='path'),
        models_dir=dict(type='path'),
        models=dict(type='list', elements='str', default=[]),
        ollama_archives=dict(type='list', elements='dict', default=[], options=dict(
            path=dict(type='path', required=True),
            arch=dict(type='str', required=True, choices=['amd64', 'arm64', 'x86_64', 'aarch64']),
        )),
        ollama_sha256sum_file=dict(type='path'),
        ollama_sha256sums=dict(type='dict'),
        ollama_version=dict(type='str'),
        images=dict(type='list', elements='dict', default=[], options=dict(
            image=dict(type='str', required=True),
            archive=dict(type='path', required=True),
        )),
        packages=dict(type='list', elements='path', default=[]),
        architectures=dict(type='list', elements='str'),
        bundle_id=dict(type='str'),
        created=dict(type='str'),
        builder=dict(type='str'),
        collection_version=dict(type='str'),
        collection_commit=dict(type='str'),
        src=dict(type='path'),
        expected_sha256=dict(type='str'),
        arch=dict(type='str'),
        workers=dict(type='int'),
    )


class AirgapBundle(object):
    """Maps the module's options to the shared implementation in module_utils/_airgap.py."""

    def __init__(self, module):
        self.module = module
        self.params = module.params

    def check_options(self):
        state = self.params['state']
        if state == 'built':
            wrong = [o for o in VERIFY_ONLY if self.params.get(o) is not None]
        else:
            wrong = [o for o in BUILD_ONLY if self.params.get(o) not in (None, [], {})]
        if state == 'verified' and self.params.get('dest') is not None:
            wrong.append('dest')
        if wrong:
            raise InvalidValue('%s %s not apply to state=%s; %s' % (
                ', '.join(wrong), 'does' if len(wrong) == 1 else 'do', state,
                'src, expected_sha256 and arch are for verified and extracted' if state == 'built'
                else 'dest is for built and extracted only' if wrong == ['dest']
                else 'the build options are for state=built'))
        workers = self.params.get('workers')
        if workers is not None and not 1 <= workers <= 1024:
            raise InvalidValue('workers is %d: it must be between 1 and 1024 threads' % workers)

    def execute(self):
        self.check_options()
        hasher = Hasher(self.params.get('workers'))
        state = self.params['state']
        if state == 'built':
            return build_bundle(self.params, hasher, check_mode=self.module.check_mode)
        return verify_bundle(self.params, hasher, extract=state == 'extracted', check_mode=self.module.check_mode)


def main():
    problem = check_arg_types(raw_module_args(), argument_spec())
    spec = argument_spec()
    if problem:
        spec = dict((name, dict(type='raw')) for name in spec)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    if problem:
        module.fail_json(msg=problem)
    try:
        result = AirgapBundle(module).execute()
    except (InvalidValue, BundleError) as exc:
        module.fail_json(msg=str(exc), state=module.params['state'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
