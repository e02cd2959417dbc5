"""Verifiability: the tally bundle, the stdlib recount tool run as a citizen would (a plain
python3, nothing of the project on its path), receipts, and tampering found."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from covenant.access.principal import Principal
from governance import counting
from governance.bundle import build_bundle
from governance.services import ballot_cast, proposal_close
from tests.governance.conftest import add_delegates, add_members, council_of, opened, rule

ROOT = Path(__file__).resolve().parents[2]
PYTHON = shutil.which("python3", path="/usr/bin:/bin") or "python3"


def recount(bundle: dict, *args: str, tmp_path: Path, standalone: bool = True):
    """Run the recount tool with the machine's plain python3 (no venv, no PYTHONPATH, no user
    site): from a folder holding only its two files when `standalone`, else from the repo."""
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    if standalone:
        folder = tmp_path / "tool"
        folder.mkdir(exist_ok=True)
        for name in ("recount.py", "counting.py"):
            shutil.copy(ROOT / "governance" / name, folder / name)
        script, cwd = str(folder / "recount.py"), str(tmp_path)
    else:
        script, cwd = "governance/recount.py", str(ROOT)
    return subprocess.run(
        [PYTHON, "-E", "-s", script, str(path), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        check=False,
        timeout=60,
    )


@pytest.fixture
def voters(cast, kenya) -> list[Principal]:
    return [Principal(user=cast.user("KEN", "council_member"))] + [
        Principal(user=u) for u in add_members(kenya, 4)
    ]


def vote(proposal, voters, choices) -> dict[int, object]:
    receipts = {}
    for index, choice in choices:
        receipts[index] = ballot_cast(proposal=proposal, choice=choice, actor=voters[index])
    return receipts


@pytest.mark.django_db
def test_an_open_ballot_bundle_recounts_to_the_published_outcome(cast, kenya, voters, tmp_path):
    proposal = opened(council_of(kenya), voters[0].user, the_rule=rule(threshold="two_thirds"))
    receipts = vote(proposal, voters, [(1, "yes"), (2, "no"), (2, "yes"), (3, "yes"), (4, "no")])
    closed = proposal_close(proposal=proposal, actor=voters[0])
    bundle = build_bundle(closed)
    assert bundle["format"] == counting.BUNDLE_FORMAT
    assert bundle["roster_hash"] == counting.roster_hash(bundle["roster"]) == closed.roster_hash
    assert counting.verify_chain(bundle["chain"], proposal=closed.pk).ok
    assert bundle["head"] == bundle["chain"][-1]["hash"] == closed.log_head
    assert [json.loads(e["body"])["event"] for e in bundle["chain"]] == [
        "open",
        "ballot",
        "ballot",
        "ballot",
        "ballot",
        "ballot",
        "close",
    ]
    assert {b["seat"] for b in bundle["ballots"]} == {r.ballot.seat_code for r in receipts.values()}
    # 3 yes of 4 cast: three quarters ≥ two thirds
    assert bundle["result"]["outcome"] == closed.outcome == "passed"
    assert "@" not in json.dumps(bundle)
    done = recount(bundle, "--receipt", receipts[3].receipt, tmp_path=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "→ passed" in done.stdout and "OK: the recount agrees" in done.stdout
    assert "Choice recorded: yes" in done.stdout and "it counted" in done.stdout
    from_repo = recount(bundle, tmp_path=tmp_path, standalone=False)
    assert from_repo.returncode == 0, from_repo.stdout + from_repo.stderr
    # the first ballot of seat 2 is in the log, superseded by its second
    first_of_two = next(
        e["hash"]
        for e in bundle["chain"]
        if json.loads(e["body"]).get("seat") == receipts[2].ballot.seat_code
    )
    older = recount(bundle, "--receipt", first_of_two, tmp_path=tmp_path)
    assert older.returncode == 0 and "superseded" in older.stdout


@pytest.mark.django_db
def test_a_secret_ballot_bundle_does_not_link_seats_to_choices(cast, kenya, voters, tmp_path):
    proposal = opened(council_of(kenya), voters[0].user, secret_ballot=True)
    receipts = vote(proposal, voters, [(1, "yes"), (2, "no"), (3, "yes"), (3, "abstain")])
    closed = proposal_close(proposal=proposal, actor=voters[0])
    bundle = build_bundle(closed)
    assert all(set(b) == {"tracker", "choice", "weight"} for b in bundle["ballots"])
    assert [b["tracker"] for b in bundle["ballots"]] == sorted(
        b["tracker"] for b in bundle["ballots"]
    )
    assert "openings" not in bundle
    text = json.dumps(bundle)
    for result in receipts.values():
        assert result.ballot.salt not in text  # the salt opens a commitment: the voter's only
    for entry in bundle["chain"]:
        body = json.loads(entry["body"])
        assert "choice" not in body  # the log shows who voted, never how
    # the voter checks their ballot: receipt, choice, salt and tracker
    mine = receipts[3].ballot
    done = recount(
        bundle,
        "--receipt",
        mine.receipt,
        "--choice",
        "abstain",
        "--salt",
        mine.salt,
        "--tracker",
        mine.tracker,
        tmp_path=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Your tracker is counted with that choice: abstain" in done.stdout
    lying = recount(
        bundle,
        "--receipt",
        mine.receipt,
        "--choice",
        "yes",
        "--salt",
        mine.salt,
        "--tracker",
        mine.tracker,
        tmp_path=tmp_path,
    )
    assert lying.returncode == 1
    # a portal that swapped this voter's counted choice is caught by the voter
    swapped = copy.deepcopy(bundle)
    for row in swapped["ballots"]:
        if row["tracker"] == mine.tracker:
            row["choice"] = "yes"
    swapped["result"]["tally"] = counting.tally_of(
        (row["choice"], counting.Fraction(1)) for row in swapped["ballots"]
    ).to_json()
    caught = recount(
        swapped,
        "--receipt",
        mine.receipt,
        "--choice",
        "abstain",
        "--salt",
        mine.salt,
        "--tracker",
        mine.tracker,
        tmp_path=tmp_path,
    )
    assert caught.returncode == 1 and "was counted as yes" in caught.stdout


@pytest.mark.django_db
def test_a_hidden_results_bundle_opens_every_commitment(cast, kenya, voters, tmp_path):
    proposal = opened(council_of(kenya), voters[0].user, hide_results_until_close=True)
    receipts = vote(proposal, voters, [(1, "no"), (1, "yes"), (2, "yes")])
    closed = proposal_close(proposal=proposal, actor=voters[0])
    bundle = build_bundle(closed)
    assert len(bundle["openings"]) == 3
    done = recount(bundle, "--receipt", receipts[1].receipt, tmp_path=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "The commitment opens to: yes" in done.stdout
    forged = copy.deepcopy(bundle)
    forged["openings"][0]["choice"] = "yes"  # claim the first ballot was yes
    assert recount(forged, tmp_path=tmp_path).returncode == 1


@pytest.mark.django_db
@pytest.mark.parametrize("weighting", ["pledge", "penrose"])
def test_weighted_bundles_re_derive_each_weight(cast, kenya, global_council, weighting, tmp_path):
    delegates = [
        cast.user("KEN", "delegate"),
        cast.user("BRA", "delegate"),
        *add_delegates(["DEU", "PRK"]),
    ]
    proposal = opened(
        global_council, delegates[0], the_rule=rule(weighting=weighting, double_majority="0.5")
    )
    for delegate, choice in zip(delegates, ["yes", "no", "yes", "abstain"], strict=True):
        ballot_cast(proposal=proposal, choice=choice, actor=Principal(user=delegate))
    closed = proposal_close(proposal=proposal, actor=Principal(user=delegates[0]))
    bundle = build_bundle(closed)
    assert {row["seat"] for row in bundle["weights"]["basis"]} == {"KEN", "BRA", "DEU", "PRK"}
    done = recount(bundle, tmp_path=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"→ {closed.outcome}" in done.stdout
    inflated = copy.deepcopy(bundle)
    inflated["roster"][0]["weight"] = "999999999999.000000"
    result = recount(inflated, tmp_path=tmp_path)
    assert result.returncode == 1 and "hashes to" in result.stdout


@pytest.mark.django_db
def test_any_tampering_is_found(cast, kenya, voters, tmp_path):
    proposal = opened(council_of(kenya), voters[0].user)
    vote(proposal, voters, [(1, "yes"), (2, "yes"), (3, "no")])
    bundle = build_bundle(proposal_close(proposal=proposal, actor=voters[0]))
    assert recount(bundle, tmp_path=tmp_path).returncode == 0

    def changed(mutate) -> subprocess.CompletedProcess:
        forged = copy.deepcopy(bundle)
        mutate(forged)
        return recount(forged, tmp_path=tmp_path)

    def edit_ballot(forged):  # rewrite a logged choice: its hash no longer matches
        entry = forged["chain"][2]
        entry["body"] = entry["body"].replace('"yes"', '"no"')

    def drop_entry(forged):
        del forged["chain"][3]

    def flip_result(forged):
        forged["result"]["outcome"] = "rejected"

    def add_seat(forged):
        forged["roster"].append({"seat": "KEN-999", "holder": "p_ghost", "weight": "1.000000"})

    def rebuild_chain_with_a_new_ballot(forged):  # a forger who rehashes the whole chain
        bodies = [json.loads(e["body"]) for e in forged["chain"]]
        bodies.insert(-1, {**bodies[1], "seat": bodies[3]["seat"], "choice": "yes"})
        prev, chain = counting.GENESIS_HASH, []
        for number, body in enumerate(bodies, start=1):
            body["sequence"] = number
            text = counting.canonical_json(body)
            digest = counting.chain_hash(prev, text)
            chain.append({"sequence": number, "prev_hash": prev, "hash": digest, "body": text})
            prev = digest
        forged["chain"], forged["head"] = chain, prev

    for mutate, says in (
        (edit_ballot, "vote log broken"),
        (drop_entry, "vote log broken"),
        (flip_result, "the portal published rejected"),
        (add_seat, "hashes to"),
        (rebuild_chain_with_a_new_ballot, "the published tally differs"),
    ):
        result = changed(mutate)
        assert result.returncode == 1, mutate.__name__
        assert says in result.stdout, (mutate.__name__, result.stdout)
    not_json = tmp_path / "junk.json"
    not_json.write_text("{nope")
    junk = subprocess.run(
        [PYTHON, "-E", "-s", "governance/recount.py", str(not_json)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert junk.returncode == 2 and "recount:" in junk.stderr
    assert recount({"format": "something else"}, tmp_path=tmp_path).returncode == 2


@pytest.mark.django_db
def test_the_bundle_endpoint_serves_what_the_tool_recounts(cast, kenya, voters, tmp_path):
    from tests.conftest import client_for

    proposal = opened(council_of(kenya), voters[0].user)
    vote(proposal, voters, [(1, "yes")])
    proposal_close(proposal=proposal, actor=voters[0])
    response = client_for(None).get(f"/api/v1/proposals/{proposal.pk}/bundle/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    done = recount(response.json(), tmp_path=tmp_path)
    assert done.returncode == 0 and "→ no_quorum" in done.stdout  # 1 of 5 seats: no quorum


@pytest.mark.django_db
def test_the_recount_speaks_json_for_scripts(cast, kenya, voters, tmp_path):
    proposal = opened(council_of(kenya), voters[0].user)
    receipts = vote(proposal, voters, [(1, "yes"), (2, "yes"), (3, "abstain")])
    closed = proposal_close(proposal=proposal, actor=voters[0])
    done = recount(
        build_bundle(closed), "--json", "--receipt", receipts[2].receipt, tmp_path=tmp_path
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] is True and result["problems"] == []
    assert result["outcome"] == closed.outcome == "passed"
    assert result["tally"] == build_bundle(closed)["result"]["tally"]
    assert any("it counted" in line for line in result["receipt"])
