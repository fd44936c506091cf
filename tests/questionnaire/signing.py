"""Documents render only from signed results (docs/trust-chain.md): the questionnaire tests sign the
example's results with the test log key, as tests/documents/golden.py does, and trust that key."""
import os
import subprocess


def signed_results(source: str, work: str) -> list:
    """The `answer` options for the example's results, signed into `work` (COMPLYCLI_SIGN_FIXTURE is
    the sign_results_fixture tool, set by ctest)."""
    data = os.path.join(source, "tests", "data", "documents")
    example = os.path.join(source, "examples", "northwind-legal")
    out = os.path.join(work, "signed-results.json")
    subprocess.run([os.environ["COMPLYCLI_SIGN_FIXTURE"], "sign", os.path.join(data, "test-log.key"),
                    os.path.join(example, "profile.yaml"), os.path.join(example, "results.json"), out], check=True)
    return ["--results", out, "--pubkey", os.path.join(data, "test-log.pub")]
