"""llama.cpp itself (through llama-cpp-python) on the prompts judge_speed wrote: each prompt is
rendered with the GGUF's own Jinja chat template, evaluated from an empty KV cache, and its
Yes/No probabilities read from the last logits, one prompt after another (llama.cpp's API has
no multi-prompt scoring). Prints one JSON line like judge_speed's.

usage: llama_cpp_speed.py MODEL.gguf PROMPTS.jsonl THREADS
"""
import json
import math
import sys
import time

from llama_cpp import Llama
from llama_cpp.llama_chat_format import Jinja2ChatFormatter


def main():
    model, prompts_path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    prompts = [json.loads(line)["prompt"] for line in open(prompts_path, encoding="utf-8")]
    start = time.perf_counter()
    llm = Llama(model_path=model, n_threads=threads, n_threads_batch=threads, n_ctx=4096,
                n_batch=4096, verbose=False)
    load_s = time.perf_counter() - start
    text = lambda t: llm._model.token_get_text(t) if t >= 0 else ""
    fmt = Jinja2ChatFormatter(template=llm.metadata["tokenizer.chat_template"],
                              eos_token=text(llm.token_eos()), bos_token=text(llm.token_bos()))
    tokenized = []
    for p in prompts:
        rendered = fmt(messages=[{"role": "user", "content": p}], enable_thinking=False).prompt
        tokenized.append(llm.tokenize(rendered.encode("utf-8"), add_bos=True, special=True))
    labels = [llm.tokenize(w.encode(), add_bos=False, special=False)[0] for w in ("Yes", "No")]
    start = time.perf_counter()
    first = 0
    for tokens in tokenized:
        llm.reset()
        llm.eval(tokens)
        logits = llm.scores[llm.n_tokens - 1]
        top = max(logits)
        yes, no = (math.exp(logits[t] - top) for t in labels)
        first += yes / (yes + no) >= 0.5
    seconds = time.perf_counter() - start
    n_tokens = sum(map(len, tokenized))
    print(json.dumps({
        "engine": "llama.cpp (llama-cpp-python)", "threads": threads, "pack": 1,
        "records": len(prompts), "prompt_tokens": n_tokens, "load_s": load_s, "seconds": seconds,
        "prompt_tok_per_s": n_tokens / seconds, "records_per_s": len(prompts) / seconds,
        "first_label_share": first / len(prompts),
    }))


if __name__ == "__main__":
    main()
