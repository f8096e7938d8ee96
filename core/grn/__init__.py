"""Gene regulatory network inference, edge tables and scoring."""
