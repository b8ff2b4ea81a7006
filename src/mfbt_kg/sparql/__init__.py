"""Asking: the store (embedded or remote), the guard, the catalogue, answers and their formats."""
