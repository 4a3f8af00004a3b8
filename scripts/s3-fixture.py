"""Test fixtures in an S3-compatible store, through boto3 (an S3 client independent of curate).

  s3-fixture.py ENDPOINT make-bucket BUCKET
  s3-fixture.py ENDPOINT put-lines BUCKET PREFIX N FILE   # N objects PREFIX/part-00000.jsonl...,
                                                          # the lines of FILE dealt round-robin
  s3-fixture.py ENDPOINT put BUCKET KEY FILE
  s3-fixture.py ENDPOINT list BUCKET PREFIX               # "key size etag" per object
  s3-fixture.py ENDPOINT get BUCKET KEY FILE
"""
import sys

import boto3
from boto3.s3.transfer import TransferConfig

endpoint, command, *args = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test",
                  aws_secret_access_key="test", region_name="us-east-1")
if command == "make-bucket":
    s3.create_bucket(Bucket=args[0])
elif command == "put-lines":
    bucket, prefix, n, path = args[0], args[1], int(args[2]), args[3]
    lines = open(path, "rb").read().splitlines(keepends=True)
    parts = [lines[i::n] for i in range(n)]
    for i, part in enumerate(parts):
        s3.put_object(Bucket=bucket, Key=f"{prefix}/part-{i:05d}.jsonl", Body=b"".join(part))
elif command == "put":
    s3.upload_file(args[2], args[0], args[1], Config=TransferConfig(multipart_threshold=1 << 40))
elif command == "list":
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args[0], Prefix=args[1]):
        for o in page.get("Contents", []):
            print(o["Key"], o["Size"], o["ETag"].strip('"'))
elif command == "get":
    s3.download_file(args[0], args[1], args[2])
else:
    sys.exit(f"unknown command {command}")
