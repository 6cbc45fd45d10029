"""Independent check of gsm8k-py samples: regex the fenced code, run it with a plain
python subprocess, compare the last printed line to the reference answer."""
import json, re, subprocess, sys
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[3] / "src"))
from headprint.data import load_data
samples = [json.loads(l) for l in open(sys.argv[1])]
gold = {r["id"]: r["meta"]["answer"] for r in load_data("gsm8k-py", split="test", limit=int(sys.argv[2])).rows}
agree = 0
for s in samples:
    m = re.search(r"```(?:python)?\n(.*?)(?:```|$)", s["generation"], re.S)
    code = m.group(1) if m else s["generation"]
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=10).stdout.strip().splitlines()
    except subprocess.TimeoutExpired:
        out = []
    try:
        ok = bool(out) and abs(float(out[-1]) - float(gold[s["id"]])) < 1e-6
    except ValueError:
        ok = False
    agree += ok == s["correct"]
    print(s["id"], "gold", gold[s["id"]], "printed", out[-1:] , "independent", ok, "headprint", s["correct"])
print(f"agree {agree}/{len(samples)}")
