#!/usr/bin/env python3
"""The questionnaire corpus (tests/questionnaire/corpus.csv): questions written for complycli in varied
wording, each with the answer it should get from the example company's profile and check results.

Runs `complycli answer` over it and reports correct, wrong, over-claim and needs-review counts. Fails on
any over-claim (an answer stronger than expected: "Yes" where the expected answer is anything else,
"Partial" where it is "No" or "Needs review", "Not applicable" where it is not) or below 85% correct.
Also times a 500-question sheet (the corpus, repeated with varied ids) and fails above 1 s of CPU time
(CPU rather than wall-clock time, so that a loaded test machine does not fail it)."""

import argparse
import csv
import os
import resource
import subprocess

from signing import signed_results
import sys
import tempfile
import time

RANK = {"Yes": 3, "Partial": 2, "No": 1, "Needs review": 0}



def over_claim(got, expected):
    if got == expected:
        return False
    if got == "Not applicable":
        return True
    if expected == "Not applicable":
        return got in ("Yes", "Partial")
    return RANK.get(got, 0) > RANK.get(expected, 0) and got in ("Yes", "Partial")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--no-speed-budget", action="store_true",
                        help="time the 500-question sheet but do not fail on it (sanitizer builds)")
    args = parser.parse_args()
    example = os.path.join(args.source, "examples", "northwind-legal")
    corpus = os.path.join(args.source, "tests", "questionnaire", "corpus.csv")
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ, HOME=work, COMPLYCLI_HOME=os.path.join(work, "no-workspace"))
        out = os.path.join(work, "answered.csv")
        cmd = [args.binary, "answer", "--questionnaire", corpus, "--match", "text",
               "--profile", os.path.join(example, "profile.yaml"),
               *signed_results(args.source, work), "--date", "2026-11-26", "-o", out]
        run = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            print(f"complycli answer failed ({run.returncode}): {run.stderr}")
            return 1
        with open(corpus, newline="", encoding="utf-8") as f:
            source = list(csv.reader(f))
        with open(out, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        header = rows[0]
        if header[:3] != source[0] or header[3:] != ["Answer", "Comment", "Evidence", "Confidence"]:
            print(f"the customer's columns were not kept in order: {header}")
            return 1
        if [r[:3] for r in rows[1:]] != source[1:]:
            print("the customer's cells changed")
            return 1
        correct = wrong = over = review = 0
        for row in rows[1:]:
            qid, question, expected, answer, comment, evidence, confidence = row
            if answer == "Needs review":
                review += 1
            if answer == expected:
                correct += 1
                continue
            wrong += 1
            flag = "OVER-CLAIM" if over_claim(answer, expected) else "wrong"
            if flag == "OVER-CLAIM":
                over += 1
            print(f"{flag}: {qid} expected {expected}, got {answer} ({confidence}): {question}\n    {comment[:200]}")
        total = len(rows) - 1
        print(f"corpus: {total} questions, {correct} correct ({100.0 * correct / total:.1f}%), {wrong} wrong, "
              f"{over} over-claims, {review} needs review")

        # Speed: 500 questions.
        big = os.path.join(work, "big.csv")
        with open(big, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["Ref", "Area", "Question text"])
            body = source[1:]
            for i in range(500):
                r = body[i % len(body)]
                w.writerow([f"Q{i + 1:03d}", "Security", r[1] if i < len(body) else f"{r[1]} (item {i + 1})"])
        cmd = [args.binary, "answer", "--questionnaire", big, "--question-column", "Question text",
               "--profile", os.path.join(example, "profile.yaml"),
               *signed_results(args.source, work), "--date", "2026-11-26", "-o",
               os.path.join(work, "big-answered.csv")]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        run = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
        elapsed = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if run.returncode != 0:
            print(f"the 500-question sheet failed ({run.returncode}): {run.stderr}")
            return 1
        print(f"speed: 500 questions answered in {cpu:.3f} s of CPU ({elapsed:.3f} s wall clock)")
        failed = False
        if over > 0:
            print("FAIL: over-claims")
            failed = True
        if correct < 0.85 * total:
            print("FAIL: fewer than 85% correct")
            failed = True
        if cpu > 1.0 and not args.no_speed_budget:
            print("FAIL: the 500-question sheet took more than 1 s of CPU")
            failed = True
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
