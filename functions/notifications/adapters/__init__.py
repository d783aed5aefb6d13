"""What notifications wrap outside its table: SES email, SNS SMS and mobile push, the SQS job queues."""
