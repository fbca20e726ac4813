"""The ServiceTitan side: the REST client (auth, rate limit, retries, paging), typed records,
webhook verification, and the `ServiceTitanSource` port the engine uses."""
