"""What every service of the fieldwork system needs: the event contract, messaging, errors."""
