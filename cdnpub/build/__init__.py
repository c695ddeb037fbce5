"""Folder -> Build, offline: scan, fingerprint, rewrite references, read bundler output.

The rule: nothing here touches the network, boto3 or Flask. Every stage is a function
of the files it reads; `model` holds the values (Source, BuildOptions, Asset, Build) that
the later stages take, with no machinery of its own.
"""
