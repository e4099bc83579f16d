"""One oss2 client run for the peer benchmark (bench/peer).

    python oss2_worker.py OP ENDPOINT BUCKET KEY FILE [PART_BYTES THREADS]

OP is put, multipart, get or ranged. Keys come from PEER_BENCH_AK / PEER_BENCH_SK and the V4
region from PEER_BENCH_REGION (never from the command line). oss2 checks CRC-64 itself.
"""
import os
import sys
import tempfile

import oss2


def main():
    op, endpoint, bucket_name, key, path = sys.argv[1:6]
    part = int(sys.argv[6]) if len(sys.argv) > 6 else 8 * 1024 * 1024
    threads = int(sys.argv[7]) if len(sys.argv) > 7 else 4
    auth = oss2.AuthV4(os.environ["PEER_BENCH_AK"], os.environ["PEER_BENCH_SK"])
    # An IP endpoint makes oss2 address the bucket path-style, which the local server accepts.
    bucket = oss2.Bucket(auth, endpoint, bucket_name, region=os.environ["PEER_BENCH_REGION"])
    with tempfile.TemporaryDirectory() as store_dir:
        if op == "put":
            bucket.put_object_from_file(key, path)
        elif op == "multipart":
            oss2.resumable_upload(
                bucket, key, path,
                store=oss2.ResumableStore(root=store_dir),
                multipart_threshold=part, part_size=part, num_threads=threads)
        elif op == "get":
            bucket.get_object_to_file(key, path)
        elif op == "ranged":
            oss2.resumable_download(
                bucket, key, path,
                store=oss2.ResumableDownloadStore(root=store_dir),
                multiget_threshold=part, part_size=part, num_threads=threads)
        else:
            sys.exit("unknown operation " + op)


if __name__ == "__main__":
    main()
