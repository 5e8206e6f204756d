"""What compare.py may conclude from its steps, as pure functions over step records (no link,
no process: test/unit/compare tests them).

The rules, so that every ratio between two systems means something:
- At the `max` step a system is *saturated* when it shows its own limit: it answered clearly
  less than the link accepted, its worker was busy nearly all the step, or (on a link whose
  ring the target drains itself, memif) the link refused a clear share of the attempts because
  the target left its ring full. Otherwise it is *generator-limited*: it answered about
  everything the generator got onto the link, so its limit is unknown.
- A ratio between two systems is printed only (a) between two saturated systems at max, "at
  each one's limit", or (b) between costs per answer at the same offered rate, "at N SYN/s
  offered", where both reached that rate. A generator-limited system gets no ratio at max.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Answered below this share of what the link accepted: the system lost frames itself.
ANSWERED_SHARE_SATURATED = 0.95
# The worker busy at least this share of the step: it had no time left for more.
BUSY_SATURATED = 0.95
# On a target-drained ring, refused above this share of attempts: the target fell behind.
REFUSED_SHARE_SATURATED = 0.05
# A fixed-rate step counts as "offered at N" when the attempts were within this of N.
OFFERED_TOLERANCE = 0.01

SATURATED = "saturated"
GENERATOR_LIMITED = "generator-limited"


@dataclass(frozen=True)
class Limit:
    verdict: str  # SATURATED or GENERATOR_LIMITED
    why: str


def classify(step: dict[str, Any]) -> Limit:
    """A `max` step's verdict. Reads flood_attempted_per_s, flood_accepted_per_s,
    flood_answered_per_s, worker_busy (None when the system has no worker figure),
    generator_rx_missed_per_s (answers the generator's own port dropped) and
    refusal_is_target_full (the link refuses only when the target left its ring full)."""
    attempted, accepted = step["flood_attempted_per_s"], step["flood_accepted_per_s"]
    answered, busy = step["flood_answered_per_s"], step.get("worker_busy")
    if busy is not None and busy >= BUSY_SATURATED:
        return Limit(SATURATED, f"worker busy {busy:.2f} of the step")
    if accepted > 0 and answered < ANSWERED_SHARE_SATURATED * accepted:
        missed = step.get("generator_rx_missed_per_s") or 0
        if answered + missed < ANSWERED_SHARE_SATURATED * accepted:
            return Limit(SATURATED, f"answered {answered / accepted:.0%} of what the link accepted")
        # The answers were sent but the generator's own port could not take them all in.
        return Limit(GENERATOR_LIMITED, f"answered {answered / accepted:.0%} of what the link accepted, the "
                     f"generator's own port missed {missed / accepted:.0%} of it")
    refused = attempted - accepted
    if step.get("refusal_is_target_full") and attempted > 0 and refused > REFUSED_SHARE_SATURATED * attempted:
        return Limit(SATURATED, f"its ring full: the link refused {refused / attempted:.0%} of the attempts")
    share = answered / accepted if accepted else 0.0
    return Limit(GENERATOR_LIMITED, f"answered {share:.0%} of what the link accepted"
                 + (f", worker busy {busy:.2f}" if busy is not None else ""))


def offered_at(step: dict[str, Any]) -> int | None:
    """The fixed rate a step offered, when its attempts reached it (within 1%); else None."""
    rate = step["flood_rate"]
    if rate in ("0", "max"):
        return None
    asked = int(rate)
    if abs(step["flood_attempted_per_s"] - asked) > OFFERED_TOLERANCE * asked:
        return None
    return asked


@dataclass(frozen=True)
class Ratio:
    a: str
    b: str
    figure: str   # what is divided: "answered/s" or "cycles per answer"
    value: float  # a's ÷ b's
    where: str    # "at each one's limit" or "at N SYN/s offered"


def ratios(steps: list[dict[str, Any]], order: list[str]) -> list[Ratio]:
    """Every ratio the rules allow between the systems of `order` (a before b in it): at max
    between two saturated systems (answers per second and cost per answer), and cost per
    answer at each fixed rate both reached. A step's cost is cycles_per_answer (None: none)."""
    out: list[Ratio] = []
    by_key = {(s["system"], s["flood_rate"]): s for s in steps}
    pairs = [(a, b) for i, a in enumerate(order) for b in order[i + 1:]]
    for a, b in pairs:
        sa, sb = by_key.get((a, "max")), by_key.get((b, "max"))
        if sa and sb and classify(sa).verdict == SATURATED and classify(sb).verdict == SATURATED:
            if sb["flood_answered_per_s"]:
                out.append(Ratio(a, b, "answered/s", sa["flood_answered_per_s"] / sb["flood_answered_per_s"],
                                 "at each one's limit"))
            if sa.get("cycles_per_answer") and sb.get("cycles_per_answer"):
                out.append(Ratio(a, b, "cycles per answer", sa["cycles_per_answer"] / sb["cycles_per_answer"],
                                 "at each one's limit"))
    rates = sorted({r for s in steps if (r := offered_at(s)) is not None})
    for rate in rates:
        for a, b in pairs:
            sa, sb = by_key.get((a, str(rate))), by_key.get((b, str(rate)))
            if not (sa and sb and offered_at(sa) == rate and offered_at(sb) == rate):
                continue
            if sa.get("cycles_per_answer") and sb.get("cycles_per_answer"):
                out.append(Ratio(a, b, "cycles per answer", sa["cycles_per_answer"] / sb["cycles_per_answer"],
                                 f"at {rate:,} SYN/s offered"))
    return out


def generator_limited_notes(steps: list[dict[str, Any]]) -> list[str]:
    """One sentence per system the generator could not outrun, naming what to compare instead."""
    notes = []
    for s in steps:
        if s["flood_rate"] != "max":
            continue
        limit = classify(s)
        if limit.verdict == GENERATOR_LIMITED:
            costs = [f"{o['cycles_per_answer']:,.0f} cycles at {rate:,} SYN/s offered" for o in steps
                     if o["system"] == s["system"] and o.get("cycles_per_answer")
                     and (rate := offered_at(o)) is not None]
            instead = (f"compare its cost per answer at equal offered rates: {', '.join(costs)}" if costs
                       else "it has no cost figure at an offered rate either, so no ratio with it holds from this run")
            notes.append(f"{s['system']}: generator-limited ({limit.why}: attempted {s['flood_attempted_per_s']:,.0f}/s, "
                         f"accepted {s['flood_accepted_per_s']:,.0f}/s, answered {s['flood_answered_per_s']:,.0f}/s). "
                         f"The generator cannot outrun it on this machine: no ratio at max; {instead}.")
    return notes
