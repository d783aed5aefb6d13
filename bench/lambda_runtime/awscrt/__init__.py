"""Hides the dev environment's awscrt, which Lambda's runtime does not ship.

botocore imports awscrt whenever it is installed, which slows ``import boto3``; the functions' layer
leaves it out, so the benchmark measures imports without it.
"""

raise ImportError("awscrt is not part of the Lambda runtime")
