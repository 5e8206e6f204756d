#!/usr/bin/python3
"""perf/comparison.py: the saturated / generator-limited verdict at max and the rule that a
ratio between two systems exists only between two saturated systems or at one offered rate."""

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "perf"))
import comparison  # noqa: E402


def step(system, rate, attempted, accepted, answered, busy=None, cost=None, memif=False):
    return {"system": system, "flood_rate": rate, "flood_attempted_per_s": attempted,
            "flood_accepted_per_s": accepted, "flood_answered_per_s": answered, "worker_busy": busy,
            "cycles_per_answer": cost, "refusal_is_target_full": memif}


class Classify(unittest.TestCase):
    def test_answered_about_everything_accepted_is_generator_limited(self):
        # testpmd over memif in the run the docs once cited: 3.00 M answered of 3.05 M.
        limit = comparison.classify(step("testpmd-memif-macswap", "max", 3.05e6, 3.05e6, 3.00e6, memif=True))
        self.assertEqual(limit.verdict, comparison.GENERATOR_LIMITED)
        self.assertIn("98%", limit.why)

    def test_answering_clearly_less_than_accepted_is_saturated(self):
        limit = comparison.classify(step("linux-syncookies=2", "max", 4e5, 4e5, 3e5))
        self.assertEqual(limit.verdict, comparison.SATURATED)
        self.assertIn("75%", limit.why)

    def test_answers_the_generator_itself_missed_do_not_make_the_target_saturated(self):
        s = step("rampart-af_packet", "max", 1e6, 1e6, 8e5, busy=0.5)
        self.assertEqual(comparison.classify(s).verdict, comparison.SATURATED)
        s["generator_rx_missed_per_s"] = 1.9e5
        limit = comparison.classify(s)
        self.assertEqual(limit.verdict, comparison.GENERATOR_LIMITED)
        self.assertIn("missed 19%", limit.why)

    def test_a_busy_worker_is_saturated_even_when_it_answers_everything(self):
        self.assertEqual(comparison.classify(step("rampart-memif", "max", 1e6, 1e6, 1e6, busy=0.97)).verdict,
                         comparison.SATURATED)
        self.assertEqual(comparison.classify(step("rampart-memif", "max", 1e6, 1e6, 1e6, busy=0.90)).verdict,
                         comparison.GENERATOR_LIMITED)

    def test_refusals_mean_saturation_only_where_the_target_drains_the_ring(self):
        # Run 122026Z: 4.46 M attempted, 3.68 M taken and answered; over memif the ring was full.
        memif = step("rampart-memif", "max", 4.46e6, 3.68e6, 3.68e6, busy=0.5, memif=True)
        self.assertEqual(comparison.classify(memif).verdict, comparison.SATURATED)
        # Over a veth the generator's own send path refused: that says nothing of the target.
        veth = step("rampart-af_packet", "max", 4.46e6, 3.68e6, 3.68e6, busy=0.5)
        self.assertEqual(comparison.classify(veth).verdict, comparison.GENERATOR_LIMITED)


class Ratios(unittest.TestCase):
    def test_no_ratio_at_max_for_a_generator_limited_system(self):
        steps = [step("rampart-memif", "max", 4e6, 4e6, 3.6e6, busy=0.99, cost=300),
                 step("testpmd-memif-macswap", "max", 3.05e6, 3.05e6, 3.0e6, memif=True)]
        self.assertEqual(comparison.ratios(steps, ["rampart-memif", "testpmd-memif-macswap"]), [])
        notes = comparison.generator_limited_notes(steps)
        self.assertEqual(len(notes), 1)
        self.assertIn("testpmd-memif-macswap: generator-limited", notes[0])
        self.assertIn("it has no cost figure at an offered rate either", notes[0])  # testpmd: nothing instead
        # A system with costs gets them named, at each rate it reached.
        steps[1]["cycles_per_answer"] = 200
        steps.append(step("testpmd-memif-macswap", "20000", 20_000, 20_000, 20_000, cost=550, memif=True))
        steps.append(step("testpmd-memif-macswap", "100000", 80_000, 80_000, 80_000, cost=510, memif=True))
        self.assertIn("compare its cost per answer at equal offered rates: 550 cycles at 20,000 SYN/s offered.",
                      comparison.generator_limited_notes(steps)[0])

    def test_two_saturated_systems_at_max_compare_at_each_ones_limit(self):
        steps = [step("rampart-memif", "max", 4e6, 4e6, 3.6e6, busy=0.99, cost=300),
                 step("linux-syncookies=2", "max", 4e5, 4e5, 2e5, cost=6000)]
        rs = comparison.ratios(steps, ["rampart-memif", "linux-syncookies=2"])
        self.assertEqual([(r.figure, r.where) for r in rs],
                         [("answered/s", "at each one's limit"), ("cycles per answer", "at each one's limit")])
        self.assertAlmostEqual(rs[0].value, 18.0)
        self.assertAlmostEqual(rs[1].value, 0.05)

    def test_equal_offered_rates_compare_cost_only_where_both_reached_the_rate(self):
        steps = [step("rampart-memif", "100000", 100_000, 100_000, 100_000, busy=0.1, cost=1200),
                 step("xdp-syncookie", "100000", 99_500, 99_500, 99_500, cost=800),
                 step("linux-syncookies=2", "100000", 90_000, 90_000, 90_000, cost=9000),  # missed the rate
                 step("testpmd-memif-macswap", "100000", 100_000, 100_000, 100_000, memif=True)]  # no cost
        rs = comparison.ratios(steps, ["rampart-memif", "xdp-syncookie", "linux-syncookies=2", "testpmd-memif-macswap"])
        self.assertEqual(len(rs), 1)
        self.assertEqual((rs[0].a, rs[0].b, rs[0].figure, rs[0].where),
                         ("rampart-memif", "xdp-syncookie", "cycles per answer", "at 100,000 SYN/s offered"))
        self.assertAlmostEqual(rs[0].value, 1.5)

    def test_the_no_flood_step_is_no_offered_rate(self):
        self.assertIsNone(comparison.offered_at(step("rampart-memif", "0", 0, 0, 0)))
        self.assertIsNone(comparison.offered_at(step("rampart-memif", "max", 1e6, 1e6, 1e6)))
        self.assertEqual(comparison.offered_at(step("rampart-memif", "20000", 20_100, 20_100, 20_000)), 20000)


if __name__ == "__main__":
    unittest.main()
