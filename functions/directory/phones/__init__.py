"""Proving a phone number by a texted code: a resident's change of number, an invitation's binding."""
