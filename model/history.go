package model

import "encoding/json"

// HistoryTable names one of HiBob's effective-dated employee tables that the sync reads in bulk.
type HistoryTable string

const (
	// Lifecycle rows say when someone was hired, employed, on leave or terminated, including
	// rows dated in the future (a scheduled termination is not current until its date).
	Lifecycle HistoryTable = "lifecycle"
	// Work rows carry title, department, site and manager over time.
	Work HistoryTable = "work"
	// Employment rows carry contract and employment type over time.
	Employment HistoryTable = "employment"
)

// HistoryTables are the tables a sync reads, in the order it reads them.
var HistoryTables = []HistoryTable{Lifecycle, Work, Employment}

// HistoryEntry is one row of an employee's history table. EntryID is unique only within one
// employee's table, so a row is identified by (Table, EmployeeID, EntryID).
type HistoryEntry struct {
	Table            HistoryTable `json:"table"`
	EmployeeID       string       `json:"employeeId"`
	EntryID          int64        `json:"entryId"`
	EffectiveDate    Date         `json:"effectiveDate,omitzero"`
	EndEffectiveDate Date         `json:"endEffectiveDate,omitzero"`
	IsCurrent        bool         `json:"isCurrent"`

	// Lifecycle rows.
	Status         string `json:"status,omitempty"`         // lifecycle status: Hired, Employed, Leave, Terminated…
	EmployeeStatus string `json:"employeeStatus,omitempty"` // access status: Active or Inactive
	Reason         string `json:"reason,omitempty"`

	// Work rows.
	Title       string `json:"title,omitempty"`
	Department  string `json:"department,omitempty"`
	Site        string `json:"site,omitempty"`
	ReportsToID string `json:"reportsToId,omitempty"`

	// Employment rows.
	EmploymentType string `json:"employmentType,omitempty"`
	Contract       string `json:"contract,omitempty"`

	// Raw is the row exactly as HiBob returned it.
	Raw json.RawMessage `json:"-"`
}
