import os

# scikit-learn reads this when it first imports scipy's array-API support: set it
# before anything imports scikit-learn, so the array-API input check runs.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
