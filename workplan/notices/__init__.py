"""Notices: tick (store what is owed), letters and templates, dispatch through the channels.

May import every stage below it: plan, store, rules and channels.
"""
