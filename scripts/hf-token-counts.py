"""Token counts of JSONL records under a GGUF model's tokenizer, rebuilt with Hugging Face
`tokenizers` from the vocabulary and merges in the GGUF (read by the `gguf` package): an
implementation independent of llama.cpp, to check curate's counts against.

    hf-token-counts.py MODEL.gguf < records.jsonl   # prints "id<TAB>tokens" per record

The pre-tokenizers of Qwen2 (`tokenizer.ggml.pre` = qwen2: Qwen2, Qwen2.5, Qwen3) and SmolLM
(smollm) are rebuilt as their tokenizer.json files write them; the text is counted as plain text
(special-token spellings such as <|im_end|> are text)."""
import json
import sys

from gguf import GGUFReader
from tokenizers import Regex, Tokenizer, models, pre_tokenizers

# Qwen2's split pattern, as in its tokenizer.json.
QWEN2 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
         r"|\s*[\r\n]+|\s+(?!\S)|\s+")


PRE_TOKENIZERS = {
    "qwen2": lambda: pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ]),
    # Digits one by one, then GPT-2's split.
    "smollm": lambda: pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ]),
}


def strings(reader, key):
    field = reader.fields[key]
    return [bytes(field.parts[i]).decode("utf-8") for i in field.data]


def main():
    reader = GGUFReader(sys.argv[1])
    pre = bytes(reader.fields["tokenizer.ggml.pre"].parts[-1]).decode()
    if pre not in PRE_TOKENIZERS:
        sys.exit(f"{sys.argv[1]}: pre-tokenizer {pre!r}; rebuilt here: {', '.join(PRE_TOKENIZERS)}")
    tokens = strings(reader, "tokenizer.ggml.tokens")
    merges = [tuple(m.split(" ", 1)) for m in strings(reader, "tokenizer.ggml.merges")]
    tokenizer = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    tokenizer.pre_tokenizer = PRE_TOKENIZERS[pre]()
    for line in sys.stdin:
        record = json.loads(line)
        print(f"{record['id']}\t{len(tokenizer.encode(record['text']).ids)}")


if __name__ == "__main__":
    main()
