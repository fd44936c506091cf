#!/usr/bin/env python3
"""The customer's sheet kept: an XLSX with two sheets and a German header row, and a CSV with a BOM,
CRLF line ends and a quoted line break, answered by `complycli answer`; the XLSX written back is read
with openpyxl (a spreadsheet library of its own), the CSV byte by byte."""

import argparse
import os
import subprocess

from signing import signed_results
import sys
import tempfile

try:
    import openpyxl
except ImportError:
    # python3-openpyxl is a Debian package: it is importable by the system's Python, which need not be
    # the Python CMake found (a pyenv one, say).
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    raise



def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source", required=True)
    args = parser.parse_args()
    example = os.path.join(args.source, "examples", "northwind-legal")
    with tempfile.TemporaryDirectory() as work:
        inputs = ["--profile", os.path.join(example, "profile.yaml"), *signed_results(args.source, work),
                  "--date", "2026-11-26"]
        env = dict(os.environ, HOME=work, COMPLYCLI_HOME=os.path.join(work, "no-workspace"))

        def run(*extra, expect=0):
            r = subprocess.run([args.binary, "answer", *extra, *inputs], cwd=work, env=env, capture_output=True)
            if r.returncode != expect:
                fail(f"complycli answer {' '.join(extra)} exited {r.returncode}: {r.stderr.decode()}")
            return r

        # 1. XLSX: a cover sheet, then the questions under a title row, German header, a gap column.
        wb = openpyxl.Workbook()
        cover = wb.active
        cover.title = "Deckblatt"
        cover["A1"] = "Sicherheitsfragebogen der Acme GmbH"
        cover["B3"] = "Version 2"
        q = wb.create_sheet("Fragen")
        q["A1"] = "Lieferantenbewertung 2026"
        q.append([])
        q["A3"], q["B3"], q["C3"], q["E3"] = "Nr.", "Bereich", "Frage", "Anmerkung des Kunden"
        questions = [("ACME-7.1", "Kryptographie", "Is customer data encrypted at rest?", "kritisch"),
                     ("ACME-7.2", "Zugang", "Is MFA enforced for all staff?", None),
                     ("ACME-9.4", "KI", "Is our data used to train models?", "wichtig"),
                     ("ACME-9.9", "Sonstiges", "What is your annual revenue?", None)]
        for i, (nr, area, text, note) in enumerate(questions):
            r = 4 + i
            q.cell(row=r, column=1, value=nr)
            q.cell(row=r, column=2, value=area)
            q.cell(row=r, column=3, value=text)
            if note:
                q.cell(row=r, column=5, value=note)
        wb.create_sheet("Anhang")["A1"] = "Ende"
        src = os.path.join(work, "acme.xlsx")
        wb.save(src)
        out = os.path.join(work, "acme-answered.xlsx")
        run("--questionnaire", src, "-o", out)
        got = openpyxl.load_workbook(out)
        if got.sheetnames != ["Deckblatt", "Fragen", "Anhang"]:
            fail(f"sheet order: {got.sheetnames}")
        if got["Deckblatt"]["A1"].value != "Sicherheitsfragebogen der Acme GmbH" or got["Deckblatt"]["B3"].value != "Version 2":
            fail("the cover sheet's cells moved")
        g = got["Fragen"]
        if g["A1"].value != "Lieferantenbewertung 2026":
            fail("the title row moved")
        header = [g.cell(row=3, column=c).value for c in range(1, 10)]
        if header != ["Nr.", "Bereich", "Frage", None, "Anmerkung des Kunden", "Answer", "Comment", "Evidence", "Confidence"]:
            fail(f"header row: {header}")
        answers = {}
        for i, (nr, area, text, note) in enumerate(questions):
            r = 4 + i
            row = [g.cell(row=r, column=c).value for c in range(1, 10)]
            if row[:3] != [nr, area, text] or row[3] is not None or row[4] != note:
                fail(f"row {r}: customer cells changed: {row}")
            answers[nr] = row[5]
            if not row[6] and row[5] != "Yes":
                fail(f"row {r}: no comment")
            float(row[8])
        expected = {"ACME-7.1": "Partial", "ACME-7.2": "Yes", "ACME-9.4": "No", "ACME-9.9": "Needs review"}
        if answers != expected:
            fail(f"answers {answers}, expected {expected}")
        if got["Anhang"]["A1"].value != "Ende":
            fail("the last sheet's cells moved")
        print("xlsx: 3 sheets kept in order, customer cells in place, 4 answers as expected")

        # 2. CSV with BOM, CRLF and a quoted line break; a German header named by number.
        csv_src = os.path.join(work, "fragebogen.csv")
        text = ('\ufeffNr.;Frage\r\n'.replace(";", ",") +
                'K-1,"Werden Sicherungen getestet?\nIs production data backed up automatically?"\r\n'
                'K-2,"Do staff complete security awareness training, every year?"\r\n')
        with open(csv_src, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        csv_out = os.path.join(work, "fragebogen-answered.csv")
        run("--questionnaire", csv_src, "--question-column", "2", "-o", csv_out)
        data = open(csv_out, "rb").read()
        if not data.startswith(b"\xef\xbb\xbfNr.,Frage,Answer,Comment,Evidence,Confidence\r\n"):
            fail(f"CSV header, BOM or CRLF not kept: {data[:80]!r}")
        if b'"Werden Sicherungen getestet?\nIs production data backed up automatically?",Yes,' not in data:
            fail(f"quoted line break or answer: {data!r}")
        if data.count(b"\r\n") != 3:
            fail("CRLF line ends not kept")
        # The German header named by its text, and a missing column named clearly.
        run("--questionnaire", csv_src, "--question-column", "frage", "-o", os.path.join(work, "b.csv"))
        r = run("--questionnaire", csv_src, "--question-column", "Fragetext", "-o", os.path.join(work, "c.csv"), expect=2)
        if b'no column is headed "Fragetext"' not in r.stderr:
            fail(f"message for a missing column: {r.stderr!r}")
        print("csv: BOM, CRLF and quoted line break kept; column by number and by German header")
    return 0


if __name__ == "__main__":
    sys.exit(main())
