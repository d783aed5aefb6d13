"""What payments wrap outside its table: the billing queue (SQS), the providers' secrets (Secrets Manager)
and the payment providers' APIs (WeChat Pay, Alipay, Stripe, the pay sandbox)."""
