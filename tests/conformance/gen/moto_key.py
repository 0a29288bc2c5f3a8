"""Makes moto's IAM user with an allow-all policy and prints its access key and secret: moto
verifies SigV4 against IAM users' keys only (moto/iam/access_control.py, create_access_key)."""
import json
import sys

import botocore.session

iam = botocore.session.get_session().create_client(
    "iam", endpoint_url=sys.argv[1], region_name="us-east-1",
    aws_access_key_id="setup", aws_secret_access_key="setup")
iam.create_user(UserName="conformance")
iam.put_user_policy(UserName="conformance", PolicyName="all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="conformance")["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
