"""A person's linked WeChat (the service account's ``openid``), kept with their settings in ``USER#{user}``
(``keys.wechat_link``): the person's erasure deletes the partition and their export reads it. The newest
link wins: an older event arriving late (``linked_at`` not newer) changes nothing. The sender reads the link
with the person's settings (``NotificationsRepository.person_settings``: one query of the partition)."""

from __future__ import annotations

from courtyard.dynamo import translate_conditional_failures
from courtyard.errors import Conflict
from courtyard.table import Table, serialize
from notifications import keys


class WeChatLinks:
    def __init__(self, table: Table) -> None:
        self._table = table

    def link(self, tenant_id: str, user_id: str, openid: str, person_id: str, linked_at: str) -> bool:
        """Keep ``openid`` for the login; False when a link at least as new is already there."""
        item = {
            **keys.wechat_link(tenant_id, user_id),
            "entity": "wechat_link",
            "openid": openid,
            "person_id": person_id,
            "linked_at": linked_at,
        }
        try:
            with translate_conditional_failures("an as new WeChat link is kept"):
                self._table.client.put_item(
                    TableName=self._table.name,
                    Item=serialize(item),
                    ConditionExpression="attribute_not_exists(pk) OR linked_at < :at",
                    ExpressionAttributeValues=serialize({":at": linked_at}),
                )
        except Conflict:
            return False
        return True
