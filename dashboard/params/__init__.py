"""URL and API parameters: the ``Filters`` value (``filters``) and its one grammar (``grammar``:
strict for the API, lenient for the pages). Imports only the contract.
"""
