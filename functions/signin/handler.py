"""Cognito's pre-token-generation trigger (the door); the rules are ``signin.service.mark_second_factor`` and
``signin.service.name_the_person``."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from signin.adapters.cognito_mfa import CognitoMfa
from signin.adapters.directory_people import DirectoryPeople
from signin.service import mark_second_factor, name_the_person

logger = Logger()
accounts = CognitoMfa()
people = DirectoryPeople()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The pool id comes with the event: the template cannot hand the pool to its own trigger (a cycle).
    logger.debug("token claims", trigger=event.get("triggerSource"), request_id=context.aws_request_id)
    return name_the_person(mark_second_factor(event, accounts), people)
