"""What the directory wraps outside its table: the Cognito user pool."""
