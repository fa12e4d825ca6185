"""The processes omnivox runs as when it scales out: gateways accept, workers answer."""
