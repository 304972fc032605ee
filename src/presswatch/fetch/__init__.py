"""Everything that goes out to the network: the safe HTTP client and what decides what to fetch.

client.py and safety.py do I/O (the one HTTP client every outbound path uses); schedule.py,
discover.py, paging.py and robots.py are pure decisions about URLs, headers and dates.
"""
