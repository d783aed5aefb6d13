from courtyard.ids import is_ulid, new_id


def test_new_ids_are_canonical_ulids():
    assert is_ulid(new_id())


def test_new_ids_are_unique_and_sort_by_creation():
    ids = [new_id() for _ in range(200)]
    assert len(set(ids)) == 200
    assert [i[:10] for i in ids] == sorted(i[:10] for i in ids)


def test_is_ulid_refuses_other_spellings_and_garbage():
    valid = new_id()
    assert not is_ulid(valid.lower())
    assert not is_ulid(valid[:-1])
    assert not is_ulid(valid + "0")
    assert not is_ulid("U" * 26)  # U is not Crockford base32
    assert not is_ulid("8" + "0" * 25)  # beyond the 128-bit range
    assert not is_ulid("")
    assert not is_ulid(None)
    assert not is_ulid(12345)
