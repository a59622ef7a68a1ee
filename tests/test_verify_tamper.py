"""Signed manifests and `auditlib verify` against someone trying to fool it (#16), and --resume on a corrected
extract. Every try must be caught, one line per problem, exit 1; a complete, unaltered folder exits 0."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SOD_DATA, bundle_dir, write_params

from auditlib.batch import plan
from auditlib.manifest import CONTRACT_OUTPUTS, MANIFEST, SIGNATURE, verify

pytestmark = pytest.mark.slow
FOLDER = Path("2025-12-31")
FILES = [o.name for o in CONTRACT_OUTPUTS] + [MANIFEST, SIGNATURE]  # a default run writes every one


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "auditlib.cli", *map(str, args)], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def sealed(tmp_path_factory) -> Path:
    """inst-a and inst-b (own data folders) signed with their own keys (a/, b/), and a second run of inst-a
    (out2/) for a signature from another run."""
    root = tmp_path_factory.mktemp("sealed")
    for i in ("a", "b"):
        bundle_dir(root / f"data-{i}", SOD_DATA)
        write_params(root / "params" / f"{i}.yaml", f"../data-{i}", institution_id=f"inst-{i}", rules="[SOD]")
        assert cli("keygen", "--out", root / i).returncode == 0
    for params, key, out in (("a", "a", "out"), ("b", "b", "out"), ("a", "a", "out2")):
        p = cli(
            "run",
            root / "params" / f"{params}.yaml",
            "--out",
            root / out,
            "--sign-key",
            root / key / "auditlib-signing.key",
        )
        assert p.returncode == 0, p.stderr
    return root


@pytest.fixture
def folder(sealed, tmp_path) -> Path:
    """A copy of inst-a's signed output folder, to tamper with."""
    f = tmp_path / "inst-a" / FOLDER
    shutil.copytree(sealed / "out" / "inst-a" / FOLDER, f)
    return f


def pub(sealed: Path, who: str) -> Path:
    return sealed / who / "auditlib-signing.pub"


def caught(folder: Path, *args) -> list[str]:
    """verify's problem lines; asserts exit 1, one line per problem naming the folder, no traceback."""
    p = cli("verify", folder, *args)
    assert p.returncode == 1, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert lines and all(line.startswith(f"{folder}: ") for line in lines), p.stderr
    return [line.removeprefix(f"{folder}: ") for line in lines]


def rewrite(folder: Path, edit) -> None:
    """Edit the manifest as someone without the key can: the JSON rewritten, manifest.sig left as it was."""
    path = folder / MANIFEST
    m = json.loads(path.read_text(encoding="utf-8"))
    edit(m)
    path.write_text(json.dumps(m, ensure_ascii=False, indent=2), encoding="utf-8")


def test_a_signed_folder_verifies_with_and_without_its_public_key(sealed, folder):
    for args in ((), ("--pubkey", pub(sealed, "a"))):
        p = cli("verify", folder, *args)
        assert p.returncode == 0, p.stderr
        assert "signed with key SHA256:" in p.stdout
    m = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert (
        m["signing_key"]["algorithm"] == "Ed25519" and m["key_fingerprint"] == m["signing_key"]["fingerprint"]
    )
    assert set(m["outputs"]) == set(FILES) - {MANIFEST, SIGNATURE}
    cover = (folder / "report.html").read_text(encoding="utf-8")
    assert "签名密钥指纹" in cover and m["key_fingerprint"] in cover, "the cover shows the key to verify with"
    assert (sealed / "a" / "auditlib-signing.key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("name", FILES)
def test_a_changed_byte_in_any_file_is_caught(sealed, folder, name):
    data = bytearray((folder / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / name).write_bytes(bytes(data))
    for args in ((), ("--pubkey", pub(sealed, "a"))):
        problems = caught(folder, *args)
        assert len(problems) == 1, problems
        assert problems[0].startswith((f"{name}: ", f"{SIGNATURE}: ", f"{MANIFEST}: "))


@pytest.mark.parametrize("signed", [True, False])
def test_a_file_deleted_with_its_manifest_entry_is_caught(folder, signed):
    (folder / "report.html").unlink()
    rewrite(folder, lambda m: m["outputs"].pop("report.html"))
    if not signed:  # and the seal removed with it
        (folder / SIGNATURE).unlink()
        rewrite(folder, lambda m: m.pop("signing_key"))
    problems = caught(folder)
    assert "report.html: a required output, not listed in the manifest and missing" in problems
    assert signed == (f"{SIGNATURE}: the signature does not match {MANIFEST}" in " ".join(problems))


def test_an_empty_output_list_is_caught(folder):
    rewrite(folder, lambda m: m.update(outputs={}))
    problems = caught(folder)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    required = [o.name for o in CONTRACT_OUTPUTS if o.required(manifest)]
    assert [p.split(":")[0] for p in problems if "a required output, not listed" in p] == required
    on_disk = len(list(folder.iterdir())) - 2  # but the manifest and its signature
    assert sum("not in the manifest (a file the run did not write)" in p for p in problems) == on_disk


def test_an_extra_file_planted_is_caught(folder):
    (folder / "findings_corrected.csv").write_text("finding_id\n", encoding="utf-8")
    assert caught(folder) == ["findings_corrected.csv: not in the manifest (a file the run did not write)"]


def test_the_manifest_edited_and_rehashed_without_the_key_is_caught(sealed, folder):
    findings = folder / "findings.csv"
    findings.write_bytes(findings.read_bytes().replace(b"SOD-001", b"SOD-00X"))
    digest = hashlib.sha256(findings.read_bytes()).hexdigest()
    rewrite(folder, lambda m: m["outputs"]["findings.csv"].update(sha256=digest))
    for args in ((), ("--pubkey", pub(sealed, "a"))):
        problems = caught(folder, *args)
        assert problems == [
            f"{SIGNATURE}: the signature does not match {MANIFEST} (altered after signing, or signed by "
            f"another key)"
        ]


def test_the_seal_removed_is_caught(sealed, folder):
    (folder / SIGNATURE).unlink()
    assert caught(folder) == [f"{SIGNATURE}: missing, though the manifest says the run was signed"]
    rewrite(folder, lambda m: m.pop("signing_key"))
    assert verify(folder) == [], "an unsigned folder verifies its hashes and completeness only"
    assert caught(folder, "--pubkey", pub(sealed, "a")) == [
        f"{SIGNATURE}: missing: the manifest is not signed"
    ]


def test_a_signature_from_another_run_is_caught(sealed, folder):
    shutil.copy(sealed / "out2" / "inst-a" / FOLDER / SIGNATURE, folder / SIGNATURE)
    for args in ((), ("--pubkey", pub(sealed, "a"))):
        assert caught(folder, *args) == [
            f"{SIGNATURE}: the signature does not match {MANIFEST} (altered after signing, or signed by "
            f"another key)"
        ]


def test_the_key_of_another_institution_is_caught(sealed, folder):
    problems = caught(folder, "--pubkey", pub(sealed, "b"))
    assert len(problems) == 1 and problems[0].startswith(f"{SIGNATURE}: the manifest names key SHA256:")
    # re-sealed with institution b's key (its manifest naming b's key): only a's public key tells
    from auditlib import signing

    key_b = signing.load_private_key(sealed / "b" / "auditlib-signing.key")
    rewrite(folder, lambda m: m.update(signing_key=signing.public_record(key_b.public_key())))
    signing.sign(folder / MANIFEST, key_b)
    assert verify(folder) == []
    problems = caught(folder, "--pubkey", pub(sealed, "a"))
    assert len(problems) == 1 and "not the key given" in problems[0]


def test_a_bad_public_key_file_is_exit_2(folder, tmp_path):
    (tmp_path / "x.pub").write_text("not a key", encoding="utf-8")
    p = cli("verify", folder, "--pubkey", tmp_path / "x.pub")
    assert p.returncode == 2 and "not a key in PEM" in p.stderr and len(p.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------- --resume


@pytest.fixture
def copy(sealed, tmp_path) -> Path:
    """The data, params and outputs copied: a corrected extract can be delivered without touching the
    others."""
    for name in ("data-a", "data-b", "params", "out", "a"):
        shutil.copytree(sealed / name, tmp_path / name)
    return tmp_path


def resumed(root: Path) -> tuple[list[str], list[str]]:
    jobs, known, bad = plan([root / "params"], (root / "out").resolve(), resume=True)
    assert bad == 0
    return [j.institution_id for j in jobs], [o.institution_id for o in known]


def test_resume_keeps_only_outputs_of_the_same_params_and_input_files(copy):
    assert resumed(copy) == ([], ["inst-a", "inst-b"])
    # a corrected extract delivered into inst-a's data folder
    staff = copy / "data-a" / "staff.csv"
    staff.write_text(staff.read_text(encoding="utf-8").replace("张三", "张叁"), encoding="utf-8")
    assert resumed(copy) == (["inst-a"], ["inst-b"])
    # a table delivered that the run did not have
    (copy / "data-b" / "complaints.csv").write_text(
        "complaint_id,received_at,channel,severity,description\n", encoding="utf-8"
    )
    assert resumed(copy) == (["inst-a", "inst-b"], [])


def test_resume_reruns_a_corrected_extract(copy):
    staff = copy / "data-a" / "staff.csv"
    staff.write_text(staff.read_text(encoding="utf-8").replace("张三", "张叁"), encoding="utf-8")
    before = {
        i: json.loads((copy / "out" / i / FOLDER / MANIFEST).read_text(encoding="utf-8"))
        for i in ("inst-a", "inst-b")
    }
    p = cli(
        "batch",
        copy / "params",
        "--out",
        copy / "out",
        "--resume",
        "--workers",
        "1",
        "--sign-key",
        copy / "a" / "auditlib-signing.key",
    )
    assert p.returncode == 0, p.stderr
    after = {
        i: json.loads((copy / "out" / i / FOLDER / MANIFEST).read_text(encoding="utf-8")) for i in before
    }
    assert after["inst-b"]["run_id"] == before["inst-b"]["run_id"], "unchanged: kept"
    assert after["inst-a"]["run_id"] != before["inst-a"]["run_id"], "corrected extract: audited again"
    assert after["inst-a"]["inputs"]["staff"]["sha256"] == hashlib.sha256(staff.read_bytes()).hexdigest()
    assert verify(copy / "out" / "inst-a" / FOLDER, copy / "a" / "auditlib-signing.pub") == []
