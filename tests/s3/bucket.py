"""The tests' view of an S3-compatible server, through boto3 (AWS's own SDK), independent of
the object_store client trecrate uses. Endpoint and credentials come from the AWS_* environment.

  bucket.py mkbucket NAME...              create buckets
  bucket.py put-tree BUCKET PREFIX DIR    upload every file under DIR as PREFIX + relative path
  bucket.py put BUCKET KEY FILE           upload one file
  bucket.py get BUCKET KEY FILE           download one object
  bucket.py rm BUCKET KEY                 delete one object
  bucket.py ls BUCKET                     JSON: [{"key", "size", "etag"}] of every object
  bucket.py uploads BUCKET                JSON: [{"key", "upload_id"}] of open multipart uploads
  bucket.py start-upload BUCKET KEY       start a multipart upload and leave it open
"""

import json
import os
import sys

import boto3


def main(argv):
    s3 = boto3.client("s3")
    command, args = argv[0], argv[1:]
    if command == "mkbucket":
        for name in args:
            s3.create_bucket(Bucket=name)
    elif command == "put-tree":
        bucket, prefix, root = args
        for dirpath, _, files in os.walk(root):
            for name in files:
                path = os.path.join(dirpath, name)
                key = prefix + os.path.relpath(path, root).replace(os.sep, "/")
                s3.upload_file(path, bucket, key)
    elif command == "put":
        bucket, key, path = args
        s3.upload_file(path, bucket, key)
    elif command == "get":
        bucket, key, path = args
        s3.download_file(bucket, key, path)
    elif command == "rm":
        bucket, key = args
        s3.delete_object(Bucket=bucket, Key=key)
    elif command == "ls":
        (bucket,) = args
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        objects = [
            {"key": o["Key"], "size": o["Size"], "etag": o["ETag"]}
            for page in pages
            for o in page.get("Contents", [])
        ]
        json.dump(objects, sys.stdout)
    elif command == "start-upload":
        bucket, key = args
        s3.create_multipart_upload(Bucket=bucket, Key=key)
    elif command == "uploads":
        (bucket,) = args
        found = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        json.dump([{"key": u["Key"], "upload_id": u["UploadId"]} for u in found], sys.stdout)
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
