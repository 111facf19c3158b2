package portal

import "context"

// ProcedureQuery selects procedures from the catalogue.
type ProcedureQuery struct {
	Text        string // matched ignoring case and Vietnamese diacritics
	Level       string
	Topic       string
	FullProcess *bool
	Synthetic   *bool
	Page        int // 1-based
	PerPage     int
}

// Catalog is the national catalogue of procedures.
type Catalog interface {
	// Procedure returns the procedure with that code.
	Procedure(code string) (*Procedure, bool)
	// Search returns one page of matching procedures and the total count.
	Search(q ProcedureQuery) ([]*Procedure, int)
	// Len is the number of procedures in the catalogue.
	Len() int
}

// Person is a citizen's record in the national population database.
type Person struct {
	PersonalID  string `json:"personal_id"`
	FullName    string `json:"full_name"`
	DateOfBirth string `json:"date_of_birth"` // YYYY-MM-DD
	Gender      string `json:"gender"`        // Nam / Nữ
	Ethnicity   string `json:"ethnicity"`
	Nationality string `json:"nationality"`
	Province    string `json:"province"`
	Address     string `json:"address"`
	Phone       string `json:"phone"`
	Email       string `json:"email"`
}

// Attribute returns the person's attribute named by a form field's Prefill.
func (p *Person) Attribute(name string) string {
	switch name {
	case "personal_id":
		return p.PersonalID
	case "full_name":
		return p.FullName
	case "date_of_birth":
		return p.DateOfBirth
	case "gender":
		return p.Gender
	case "ethnicity":
		return p.Ethnicity
	case "nationality":
		return p.Nationality
	case "province":
		return p.Province
	case "address":
		return p.Address
	case "phone":
		return p.Phone
	case "email":
		return p.Email
	}
	return ""
}

// Population is the national population database (mocked): it prefills
// forms so citizens do not declare what the state already knows.
type Population interface {
	// Person returns the person with that personal ID, or ENOTFOUND.
	Person(ctx context.Context, personalID string) (*Person, error)
}
