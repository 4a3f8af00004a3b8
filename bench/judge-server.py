#!/usr/bin/env python3
"""An OpenAI-compatible server for judge-client benchmarks: answers /v1/chat/completions and
/v1/completions like a judge model (a first token "Yes" with top logprobs), after a delay that
models the server, with HTTP/1.1 keep-alive (uvicorn).

Usage: judge-server.py PORT MODE
  MODE "latency:MS"           every request answered after MS milliseconds, however many wait
  MODE "gpu:TOKENS_PER_S:N"   a GPU that processes TOKENS_PER_S tokens a second in all, each
                              request costing N tokens: requests queue behind each other once
                              the rate is reached (20 ms minimum per request)
Prints "ready" once listening. GET /v1/models lists one model; GET /stats the requests served.
"""
import asyncio
import json
import sys
import time

import uvicorn

REPLY = json.dumps({"choices": [{
    "message": {"role": "assistant", "content": "Yes"},
    "text": "Yes",
    "logprobs": {
        "content": [{"token": "Yes", "logprob": -0.22, "top_logprobs": [
            {"token": "Yes", "logprob": -0.22}, {"token": "No", "logprob": -1.61}]}],
        "top_logprobs": [{"Yes": -0.22, "No": -1.61}],
    },
}]}).encode()
MODELS = json.dumps({"data": [{"id": "default", "object": "model"}]}).encode()


class Gpu:
    """A token budget refilled at `rate` a second: a request waits for its `cost` tokens."""

    def __init__(self, rate, cost):
        self.rate, self.cost, self.free_at = rate, cost, time.monotonic()

    async def serve(self):
        now = time.monotonic()
        start = max(now, self.free_at)
        self.free_at = start + self.cost / self.rate
        await asyncio.sleep(max(self.free_at - now, 0.02))


def make_app(mode):
    served = [0]
    if mode.startswith("latency:"):
        delay = float(mode.split(":")[1]) / 1000.0

        async def wait():
            await asyncio.sleep(delay)
    else:
        _, rate, cost = mode.split(":")
        gpu = Gpu(float(rate), float(cost))
        wait = gpu.serve

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        path = scope["path"]
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        if path.endswith("/models"):
            body = MODELS
        elif path == "/stats":
            body = json.dumps({"served": served[0]}).encode()
        else:
            await wait()
            served[0] += 1
            body = REPLY
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return app


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    config = uvicorn.Config(make_app(mode), host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, backlog=4096, timeout_keep_alive=60)
    server = uvicorn.Server(config)
    print("ready", flush=True)
    server.run()


if __name__ == "__main__":
    main()
